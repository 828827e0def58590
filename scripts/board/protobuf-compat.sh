#!/usr/bin/env bash
# Run inside a board rootfs by trixie-check.sh when Swift 6.0 finds no swift-protobuf
# release whose manifest it reads. Makes DIR/swift-protobuf: the newest release tag of
# https://github.com/apple/swift-protobuf (through the machine's git settings) with
# - a manifest of tools version 6.0 holding the runtime library only, the traits that
#   upstream enables by default given as compilation conditions;
# - the `nonisolated` modifier of types and extensions dropped (Swift 6.1 accepts it there,
#   6.0 does not; `nonisolated(unsafe)` stays);
# committed and tagged with the release's own version, and points SwiftPM at it with a
# mirror setting in CONFIG (a --config-path folder).
# Usage: protobuf-compat.sh DIR CONFIG
set -euo pipefail
dir="$1/swift-protobuf"
config="$2"
url=https://github.com/apple/swift-protobuf
tag=$(git ls-remote --tags --refs "$url" | sed 's#.*refs/tags/##' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -1)
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
git clone -q --branch "$tag" "$url" "$dir" 2>/dev/null
cd "$dir"
cat > Package.swift <<'EOF'
// swift-tools-version:6.0
// Made by Loupe's scripts/board/protobuf-compat.sh: the runtime library only, for Swift 6.0.
import PackageDescription

let package = Package(
    name: "SwiftProtobuf",
    products: [.library(name: "SwiftProtobuf", targets: ["SwiftProtobuf"])],
    targets: [
        .target(
            name: "SwiftProtobuf",
            exclude: ["CMakeLists.txt", "PrivacyInfo.xcprivacy"],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .define("BinaryDelimitedStreams"),
                .define("FieldMaskUtilities"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
EOF
grep -rlE 'nonisolated [a-z]' Sources/SwiftProtobuf | xargs -r sed -i -E 's/(^|[[:space:]])nonisolated ([a-z])/\1\2/g'
git -c user.name=loupe-board -c user.email=loupe-board@localhost commit -qam "Manifest and sources for Swift 6.0"
git tag -f "$tag" >/dev/null
# Swift 6.0's `config set-mirror` writes into the current package whatever --config-path
# says: it is made here and moved to CONFIG.
swift package config set-mirror --original "$url" --mirror "$dir"
mkdir -p "$config"
mv .swiftpm/configuration/mirrors.json "$config/mirrors.json"
echo "swift-protobuf $tag for Swift 6.0 in $dir"
