import Foundation

/// The `srvctl add service` commands that re-create a database's Grid Infrastructure services, derived from
/// `srvctl config service -d <db>` output as the original's `dbinfo.py` did (reference §2.8).
public enum ServiceConfiguration {
    /// One service as `srvctl config service` describes it.
    public struct Service: Sendable, Equatable {
        /// `Service name`.
        public var name: String
        /// `Service is enabled` was printed; only enabled services are re-created.
        public var enabled = false
        /// `Preferred instances`, comma-separated; empty when not printed.
        public var preferred = ""
        /// `Available instances`, comma-separated; empty when none.
        public var available = ""
        /// `Edition`: the service's initial session edition; empty when none.
        public var edition = ""
        /// `Pluggable database name` (12.1 and later); empty when not printed.
        public var pluggableDatabase = ""
        /// `Connection Load Balancing Goal` (`LONG`/`SHORT`), the 11.2 syntax's `-j`.
        public var connectionLoadBalancingGoal = ""
        /// `Runtime Load Balancing Goal` (`NONE`/`SERVICE_TIME`/`THROUGHPUT`), the 11.2 syntax's `-B`.
        public var runtimeLoadBalancingGoal = ""
        /// Whether the output had 12.1+ attributes (`Pluggable database name`): the srvctl syntax to use.
        public var twelveOneSyntax = false
    }

    /// The services in `output`, in order. Lines are `Key: value`; `Service is enabled` has no value.
    public static func services(in output: String) -> [Service] {
        var result: [Service] = []
        for rawLine in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine).trimmingCharacters(in: .init(charactersIn: "\r"))
            let key: Substring
            let value: String
            if let separator = line.range(of: ": ") {
                key = line[..<separator.lowerBound]
                value = String(line[separator.upperBound...]).trimmingCharacters(in: .whitespaces)
            } else {
                key = Substring(line.hasSuffix(":") ? String(line.dropLast()) : line)
                value = ""
            }
            if key == "Service name" {
                result.append(Service(name: value))
                continue
            }
            guard !result.isEmpty else { continue }
            switch key {
            case "Service is enabled": result[result.count - 1].enabled = true
            case "Edition": result[result.count - 1].edition = value
            case "Preferred instances": result[result.count - 1].preferred = value
            case "Available instances": result[result.count - 1].available = value
            case "Connection Load Balancing Goal": result[result.count - 1].connectionLoadBalancingGoal = value
            case "Runtime Load Balancing Goal": result[result.count - 1].runtimeLoadBalancingGoal = value
            case "Pluggable database name":
                result[result.count - 1].pluggableDatabase = value
                result[result.count - 1].twelveOneSyntax = true
            default: break
            }
        }
        return result
    }

    /// The re-creation commands for every enabled service: the 12.1 long-option syntax when srvctl printed
    /// 12.1 attributes, else the 11.2 syntax (service, then its edition as a second command).
    public static func addServiceCommands(srvctlOutput: String, database: String) -> [String] {
        var commands: [String] = []
        for service in services(in: srvctlOutput) where service.enabled {
            if service.twelveOneSyntax {
                var command =
                    "srvctl add service -database \(database) -service \(service.name) -preferred \(service.preferred)"
                if !service.available.isEmpty { command += " -available \(service.available)" }
                if !service.edition.isEmpty { command += " -edition \(service.edition)" }
                if !service.pluggableDatabase.isEmpty { command += " -pdb \(service.pluggableDatabase)" }
                commands.append(command)
            } else {
                var command =
                    "srvctl add service -d \(database) -s \(service.name) -j \(service.connectionLoadBalancingGoal) -B \(service.runtimeLoadBalancingGoal) -r \(service.preferred)"
                if !service.available.isEmpty { command += " -a \(service.available)" }
                commands.append(command)
                if !service.edition.isEmpty {
                    commands.append("srvctl add service -d \(database) -s \(service.name) -t \(service.edition)")
                }
            }
        }
        return commands
    }
}
