#!/usr/bin/env bash
# Regenerates Sources/LoupeONNX/Proto/onnx.pb.swift from onnx.proto.
#
# Builds and CI never run this: the generated file is committed. Run it after editing
# Sources/LoupeONNX/Proto/onnx.proto and commit both files.
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and the swift-protobuf plugin at
# the version Package.swift resolves (1.39.0), built once with:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
# Point PROTOC_GEN_SWIFT at the binary if it is elsewhere. OUT_DIR writes the generated
# file elsewhere (the tests use it to check that the committed file is up to date).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
plugin="${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}"
protoc="${PROTOC:-protoc}"
proto_dir="$repo/Sources/LoupeONNX/Proto"
out_dir="${OUT_DIR:-$proto_dir}"

if [[ ! -x "$plugin" ]]; then
    echo "error: protoc-gen-swift not found at '$plugin'." >&2
    echo "Build swift-protobuf 1.39.0 with 'swift build -c release --product protoc-gen-swift'" >&2
    echo "and set PROTOC_GEN_SWIFT to the binary." >&2
    exit 1
fi
if ! command -v "$protoc" >/dev/null 2>&1; then
    echo "error: protoc not found (apt-get install protobuf-compiler, or set PROTOC)." >&2
    exit 1
fi

# Visibility=Internal: the generated types are an implementation detail of LoupeONNX.
"$protoc" \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$proto_dir" \
    --swift_opt=Visibility=Internal \
    --swift_opt=FileNaming=DropPath \
    --swift_out="$out_dir" \
    "$proto_dir/onnx.proto"

# protoc-gen-swift 1.39 marks every declaration `nonisolated` (for modules whose default
# isolation is MainActor, which Loupe's are not); Swift 6.0 (Debian 13's swiftlang) rejects
# that modifier on types and extensions. Without it the declarations are nonisolated all the
# same here, so it is dropped; `nonisolated(unsafe)` stays.
sed -i -E 's/(^|[[:space:]])nonisolated ([a-z])/\1\2/g' "$out_dir/onnx.pb.swift"

echo "wrote $out_dir/onnx.pb.swift"
