// Where the kubelet serves its pod-resources API. Apart from the client so that the command
// line can name it without loading gRPC, which only an exporter with pod attribution on needs.
export const DEFAULT_POD_RESOURCES_SOCKET = "/var/lib/kubelet/pod-resources/kubelet.sock";
