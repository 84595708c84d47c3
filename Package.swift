// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "oracle-imagecopy-backup",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConfigModel", targets: ["ConfigModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "ConfigModel"),
        .testTarget(name: "ConfigModelTests", dependencies: ["ConfigModel"]),
        .target(name: "RetentionPolicy"),
        .testTarget(name: "RetentionPolicyTests", dependencies: ["RetentionPolicy"]),
        .executableTarget(name: "retention-bench", dependencies: ["RetentionPolicy"], path: "Benchmarks/RetentionBenchmark"),
    ],
    swiftLanguageModes: [.v6]
)
