// The text of src/stats/cri-stats.proto, embedded so that src/stats/cri.ts works from dist/ (tsc copies no
// .proto files) and needs no file-system access at run time. test/stats/cri.integration.test.ts checks that
// this string and the .proto file are identical; edit both together.
export const CRI_STATS_PROTO = `// CRI pod sandbox network statistics: the subset of kubernetes/cri-api pkg/apis/runtime/v1/api.proto
// (package runtime.v1) that ovn-overlay fills from OVS Interface counters. Message names, field names and
// field numbers are those of cri-api (checked against kubernetes/cri-api 791729b, 2026), so the bytes are
// wire-compatible with the kubelet's decoder and protoc --decode=runtime.v1.ListPodSandboxStatsResponse
// reads them with the upstream api.proto as with this file. Fields of these messages that we never fill (CPU,
// memory, processes, containers, I/O) are left out and their numbers reserved; a full cri-api decoder reads our
// bytes unchanged, and our decoder skips those fields if present.
//
// src/stats/cri-proto.ts embeds this text (so the module works from dist/ without copying files); a test
// keeps the two identical.
syntax = "proto3";

package runtime.v1;

// Wrapper for uint64 counters: absent means "not reported", present with 0 means zero.
message UInt64Value {
    uint64 value = 1;
}

message PodSandboxMetadata {
    string name = 1;
    string uid = 2;
    string namespace = 3;
    uint32 attempt = 4;
}

message PodSandboxAttributes {
    string id = 1;
    PodSandboxMetadata metadata = 2;
    map<string, string> labels = 3;
    map<string, string> annotations = 4;
}

// What ovn-overlay stats --format cri writes: the reply of the CRI ListPodSandboxStats call.
message ListPodSandboxStatsResponse {
    repeated PodSandboxStats stats = 1;
}

// The linux or windows field is populated depending on the platform.
message PodSandboxStats {
    PodSandboxAttributes attributes = 1;
    LinuxPodSandboxStats linux = 2;
    WindowsPodSandboxStats windows = 3;
}

message LinuxPodSandboxStats {
    // cpu = 1, memory = 2, process = 4, containers = 5, io = 6 in cri-api
    reserved 1, 2, 4, 5, 6;
    NetworkUsage network = 3;
}

message WindowsPodSandboxStats {
    // cpu = 1, memory = 2, process = 4, containers = 5 in cri-api
    reserved 1, 2, 4, 5;
    WindowsNetworkUsage network = 3;
}

message NetworkUsage {
    // Unix time in nanoseconds at which these stats were taken.
    int64 timestamp = 1;
    NetworkInterfaceUsage default_interface = 2;
    // All other interfaces of the pod, excluding the default.
    repeated NetworkInterfaceUsage interfaces = 3;
}

message NetworkInterfaceUsage {
    string name = 1;
    UInt64Value rx_bytes = 2;
    UInt64Value rx_errors = 3;
    UInt64Value tx_bytes = 4;
    UInt64Value tx_errors = 5;
}

message WindowsNetworkUsage {
    // Unix time in nanoseconds at which these stats were taken.
    int64 timestamp = 1;
    WindowsNetworkInterfaceUsage default_interface = 2;
    repeated WindowsNetworkInterfaceUsage interfaces = 3;
}

message WindowsNetworkInterfaceUsage {
    string name = 1;
    UInt64Value rx_bytes = 2;
    UInt64Value rx_packets_dropped = 3;
    UInt64Value tx_bytes = 4;
    UInt64Value tx_packets_dropped = 5;
}
`;
