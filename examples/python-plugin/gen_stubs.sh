#!/usr/bin/env sh
# Generates the Python stubs of proto/hubspoke/v1 into OUT (default: ./gen), with Debian's protoc
# (protobuf-compiler) and grpc_python_plugin (protobuf-compiler-grpc). Run it before plugin.py; the stubs are not
# checked in, so they always match the .proto files and the installed protobuf runtime.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/gen"}
plugin=$(command -v grpc_python_plugin) || { echo "grpc_python_plugin missing: apt-get install protobuf-compiler-grpc" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler" >&2; exit 1; }
mkdir -p "$out"
protoc -I "$here/../../proto" --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" "$here"/../../proto/hubspoke/v1/*.proto
echo "$out"
