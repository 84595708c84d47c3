// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "oracle-imagecopy-backup",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConfigModel", targets: ["ConfigModel"]),
        .library(name: "OracleSimulator", targets: ["OracleSimulator"]),
        .executable(name: "oracle-sim", targets: ["oracle-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "ConfigModel"),
        .testTarget(name: "ConfigModelTests", dependencies: ["ConfigModel"]),
        .target(name: "OracleSimulator"),
        .executableTarget(name: "oracle-sim", dependencies: ["OracleSimulator"]),
        .testTarget(name: "OracleSimulatorTests", dependencies: ["OracleSimulator", "oracle-sim", "ConfigModel"]),
    ],
    swiftLanguageModes: [.v6]
)
