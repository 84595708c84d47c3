import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child started in its own process group: the group id (= the child's pid) and the child's start time.
public struct ChildGroup: Sendable, Hashable, Comparable {
    /// The process group id, which is the child's pid.
    public var group: Int32
    /// The child's start time in clock ticks since boot (``ProcessRecord/startTime``); a recycled pid has a later
    /// one.
    public var startTime: UInt64

    /// A child group from its id and start time.
    public init(group: Int32, startTime: UInt64) {
        self.group = group
        self.startTime = startTime
    }

    public static func < (lhs: ChildGroup, rhs: ChildGroup) -> Bool { lhs.group < rhs.group }
}

/// The process groups of the children this process is running right now, process-wide.
///
/// The process runner registers each child while it runs; held locks record the set in their file (so a later
/// run can stop what a killed run left), and a termination signal stops them all.
public enum ChildProcesses {
    struct State {
        var groups: Set<ChildGroup> = []
        var observers: [Int: @Sendable ([ChildGroup]) -> Void] = [:]
        var nextObserver = 0
    }

    static let state = Mutex(State())

    /// The running children's groups, ordered.
    public static var current: [ChildGroup] { state.withLock { $0.groups.sorted() } }

    /// Registers a started child; observers learn the new set.
    public static func started(_ child: ChildGroup) {
        notify(
            state.withLock { state in
                state.groups.insert(child)
                return (state.groups.sorted(), Array(state.observers.values))
            })
    }

    /// Unregisters a finished child.
    public static func finished(_ child: ChildGroup) {
        notify(
            state.withLock { state in
                state.groups.remove(child)
                return (state.groups.sorted(), Array(state.observers.values))
            })
    }

    private static func notify(_ change: ([ChildGroup], [@Sendable ([ChildGroup]) -> Void])) {
        for observer in change.1 { observer(change.0) }
    }

    /// Calls `observer` with the new set after every change; returns a token for ``removeObserver(_:)``.
    public static func addObserver(_ observer: @escaping @Sendable ([ChildGroup]) -> Void) -> Int {
        state.withLock { state in
            state.nextObserver += 1
            state.observers[state.nextObserver] = observer
            return state.nextObserver
        }
    }

    /// Stops the observer that ``addObserver(_:)`` returned `token` for; an unknown token is ignored.
    public static func removeObserver(_ token: Int) {
        _ = state.withLock { $0.observers.removeValue(forKey: token) }
    }

    /// Sends SIGTERM to the groups of `children`, then SIGKILL to those still present after `grace`. Blocks the
    /// calling thread; call it from a dedicated one.
    public static func terminate(_ children: [ChildGroup], grace: Duration) {
        let alive = children.filter(isRunning)
        guard !alive.isEmpty else { return }
        for child in alive { kill(-child.group, SIGTERM) }
        let deadline = ContinuousClock.now.advanced(by: grace)
        while ContinuousClock.now < deadline, alive.contains(where: isRunning) {
            usleep(50_000)
        }
        for child in alive where isRunning(child) { kill(-child.group, SIGKILL) }
    }

    /// True while the group has a member that is not a zombie.
    static func isRunning(_ child: ChildGroup) -> Bool {
        kill(-child.group, 0) == 0 && ProcessTable.members(ofGroup: child.group).contains { !$0.isZombie }
    }
}
