#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine for the tests, as background processes under
# one state directory ($OPS_BASELINE_CLUSTER_DIR, default /tmp/ops-baseline-cluster):
#   containerd (Debian's, own root, state, socket and CNI dirs), etcd, kube-apiserver,
#   kube-controller-manager, kube-scheduler, kubelet, kube-proxy (iptables mode), then CoreDNS,
#   kube-network-policies (NetworkPolicy enforcement) and local-path-provisioner (the default
#   StorageClass) as pods of local images (toolchain/cluster/images.sh).
# Binaries: toolchain/kube/install.sh (kube-apiserver, etcd) and toolchain/cluster/install.sh.
#
#   bash scripts/cluster.sh up          start (stops a stale one first); waits for the node to be
#                                       Ready and CoreDNS to answer
#   bash scripts/cluster.sh down        stop every process, remove pods' mounts and network
#                                       namespaces, the bridge and the iptables/nftables rules
#   bash scripts/cluster.sh status      exit 0 when the cluster answers and the node is Ready
#   bash scripts/cluster.sh kubeconfig  print the admin kubeconfig's path
#
# Networking: every address is on the bridge cni0 that this script makes (10.244.0.1/24, the
# node's address and the pods' gateway) or on loopback (etcd, health ports). kube-apiserver and
# kubelet listen on 10.244.0.1, so pods reach the API through the `kubernetes` Service (DNAT by
# kube-proxy to 10.244.0.1:6443). Pods get no route out of the machine: no masquerade, a FORWARD
# rule drops what leaves cni0 for elsewhere, CoreDNS forwards nothing and images are never pulled.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state="${OPS_BASELINE_CLUSTER_DIR:-/tmp/ops-baseline-cluster}"
NODE=ops-node
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_IP=10.96.0.10
API_PORT=6443
ETCD_PORT=23790
ETCD_PEER_PORT=23800
BRIDGE=cni0
CHAIN=OPS-CLUSTER
t0=$(date +%s%N)
log() {
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf '[cluster %3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
die() { log "$*"; exit 1; }

tool() { bash "$repo/toolchain/cluster/install.sh" --print "$1" || die "$1 is not built: bash toolchain/cluster/install.sh"; }
kube_tool() { bash "$repo/toolchain/kube/install.sh" --print "$1" || die "$1 is not built: bash toolchain/kube/install.sh"; }
kubectl() { "$(tool kubectl)" --kubeconfig "$state/admin.kubeconfig" "$@"; }

# ---- processes ------------------------------------------------------------------------------------
# start <name> <binary> <args...> : in the background, its own session, log and pid file
start() {
  local name=$1
  shift
  setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name"
}
# Running, not a zombie: this machine's PID 1 does not reap the orphans it inherits, so a stopped
# process whose starter has exited stays a zombie, which kill -0 still finds.
running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$st" ] && [ "$st" != Z ]
}
alive() { [ -f "$state/pids/$1" ] && running "$(cat "$state/pids/$1")"; }
stop() {
  local name=$1 pid
  [ -f "$state/pids/$name" ] || return 0
  pid=$(cat "$state/pids/$name")
  if running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$state/pids/$name"
}
# wait_for <what> <seconds> <command...>
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$what: not ready within $seconds s"
      return 1
    fi
    sleep 0.5
  done
  log "$what: ready"
}
tail_logs() {
  local f
  for f in "$@"; do
    echo "---- $f (last lines) ----" >&2
    tail -n 25 "$state/logs/$f.log" >&2 2>/dev/null || true
  done
}

# ---- certificates and credentials -----------------------------------------------------------------
credentials() {
  local d="$state/pki"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ops-baseline cluster CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$d/apiserver.key" \
    -out "$d/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s,IP:%s,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' \
    "$NODE_IP" "$API_SERVICE_IP" >"$d/apiserver.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
  # Service account tokens: the controller manager signs, the apiserver verifies.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/sa.key" 2>/dev/null
  openssl pkey -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  # Static tokens, one per component; RBAC's default roles and the Node authorizer know these users.
  : >"$d/tokens.csv"
  local who
  for who in "admin,admin,system:masters" "kubelet,system:node:$NODE,system:nodes" \
    "kube-proxy,system:kube-proxy," "controller-manager,system:kube-controller-manager," \
    "scheduler,system:kube-scheduler,"; do
    IFS=, read -r file user group <<<"$who"
    token=$(openssl rand -hex 24)
    echo "$token,$user,$user,\"$group\"" >>"$d/tokens.csv"
    kubeconfig "$state/$file.kubeconfig" "$token"
  done
  chmod 600 "$d"/*.key "$d/tokens.csv"
}
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ops-baseline
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority: $state/pki/ca.crt
users:
- name: user
  user:
    token: $2
contexts:
- name: ops-baseline
  context: {cluster: ops-baseline, user: user}
current-context: ops-baseline
EOF
  chmod 600 "$1"
}

# ---- host networking ------------------------------------------------------------------------------
host_network() {
  # The bridge CNI plugin would make cni0 with the first pod; it is made here so that the node's
  # address exists before kube-apiserver and kubelet bind to it.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Pod-to-pod packets cross the bridge; kube-proxy's Service NAT and the NetworkPolicy
  # enforcer's nftables hooks see them only with br_netfilter's calls into iptables (built into
  # this kernel, which loads no modules), and forwarding must be on.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
  # dockerd sets the FORWARD policy to DROP: accept traffic between pods on cni0, drop anything
  # from a pod that would leave the machine's bridge (the tests send no traffic off this host).
  iptables -N "$CHAIN" 2>/dev/null || iptables -F "$CHAIN"
  iptables -A "$CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  iptables -A "$CHAIN" -s "$CLUSTER_CIDR" ! -o "$BRIDGE" -j DROP
  iptables -A "$CHAIN" -d "$CLUSTER_CIDR" -o "$BRIDGE" -j ACCEPT
  iptables -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -I FORWARD 1 -j "$CHAIN"
}

# ---- configuration files --------------------------------------------------------------------------
configs() {
  local cni_bin
  cni_bin=$(bash "$repo/toolchain/cluster/install.sh" --cni-dir) || die "CNI plugins are not built: bash toolchain/cluster/install.sh"
  mkdir -p "$state/containerd" "$state/cni/net.d" "$state/local-path"
  cat >"$state/containerd/config.toml" <<EOF
# containerd $(containerd --version | awk '{print $3}') (Debian) for the test cluster only: its own root, state and socket, so
# Docker's containerd (/var/run/docker/containerd) is untouched.
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
# Snapshotters this machine has no use for (and whose probing only logs errors).
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$state/containerd/containerd.sock"
[ttrpc]
  address = "$state/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  # The locally built pause image; it is imported before kubelet starts and never pulled.
  sandbox_image = "$(bash "$repo/toolchain/cluster/images.sh" --ref pause)"
  enable_selinux = false
  disable_apparmor = true
  # This machine withholds CAP_SYS_RESOURCE even from root (CapEff lacks bit 24), so lowering a
  # process's oom_score_adj fails: runc's "failed to update /proc/self/oom_score_adj: Permission
  # denied" on every sandbox (kubelet asks -998). Clamp the pods' value to containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroup v1 without systemd (PID 1 is not systemd here): the cgroupfs driver, as kubelet's.
        SystemdCgroup = false
        Root = "$state/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$state/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"
EOF
  cat >"$state/cni/net.d/10-ops-baseline.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ops-baseline-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$state/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  # Pods with dnsPolicy Default (CoreDNS) get this file: no upstream server, nothing leaves.
  printf 'search cluster.local\n' >"$state/resolv.conf"
  cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
containerRuntimeEndpoint: unix://$state/containerd/containerd.sock
# cgroup v1, no systemd: cgroupfs, as containerd's runc (SystemdCgroup = false).
cgroupDriver: cgroupfs
# Kubernetes 1.34 still runs on cgroup v1 when this is false (1.35 makes true the default).
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: $state/resolv.conf
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
# The disk is shared with everything else on this machine: evict only when it is nearly full,
# and collect no images (none can be pulled again).
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 50
serializeImagePulls: false
EOF
}

# ---- manifests -------------------------------------------------------------------------------------
addons() {
  local coredns knp lpp helper
  coredns=$(bash "$repo/toolchain/cluster/images.sh" --ref coredns)
  knp=$(bash "$repo/toolchain/cluster/images.sh" --ref kube-network-policies)
  lpp=$(bash "$repo/toolchain/cluster/images.sh" --ref local-path-provisioner)
  helper=$(bash "$repo/toolchain/cluster/images.sh" --ref local-path-helper)
  cat <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # Cluster names only: no forward plugin, so no query leaves the cluster.
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
        }
        cache 30
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      tolerations: [{operator: Exists}]
      containers:
      - name: coredns
        image: $coredns
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
        livenessProbe:
          httpGet: {path: /health, port: 8080}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes:
      - name: config
        configMap: {name: coredns}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: kube-network-policies, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kube-network-policies}
rules:
- apiGroups: [""]
  resources: [pods, namespaces, nodes]
  verbs: [list, watch, get]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kube-network-policies}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kube-network-policies}
subjects: [{kind: ServiceAccount, name: kube-network-policies, namespace: kube-system}]
---
# As upstream's install.yaml, with the local image; NRI is off (containerd 1.6 has none), and
# the conntrack race work-around is not needed on this kernel (6.12 or later).
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-network-policies, namespace: kube-system, labels: {app: kube-network-policies}}
spec:
  selector: {matchLabels: {app: kube-network-policies}}
  template:
    metadata: {labels: {app: kube-network-policies}}
    spec:
      hostNetwork: true
      serviceAccountName: kube-network-policies
      priorityClassName: system-node-critical
      tolerations: [{operator: Exists}]
      containers:
      - name: kube-network-policies
        image: $knp
        imagePullPolicy: Never
        args:
        - --hostname-override=\$(MY_NODE_NAME)
        - --nfqueue-id=98
        - --disable-nri
        - --netfilter-bug-1766-fix=false
        - --metrics-bind-address=127.0.0.1:9080
        - --v=2
        env:
        - name: MY_NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        securityContext:
          privileged: true
          capabilities: {add: [NET_ADMIN]}
---
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: local-path-storage}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: local-path-provisioner-role, namespace: local-path-storage}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, patch, update, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: local-path-provisioner-role}
rules:
- apiGroups: [""]
  resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local-path-provisioner-bind, namespace: local-path-storage}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local-path-provisioner-role}
subjects: [{kind: ServiceAccount, name: local-path-provisioner-service-account, namespace: local-path-storage}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: local-path-provisioner-bind}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: local-path-provisioner-role}
subjects: [{kind: ServiceAccount, name: local-path-provisioner-service-account, namespace: local-path-storage}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: local-path-provisioner, namespace: local-path-storage}
spec:
  replicas: 1
  selector: {matchLabels: {app: local-path-provisioner}}
  template:
    metadata: {labels: {app: local-path-provisioner}}
    spec:
      serviceAccountName: local-path-provisioner-service-account
      tolerations: [{operator: Exists}]
      containers:
      - name: local-path-provisioner
        image: $lpp
        imagePullPolicy: Never
        command: [/local-path-provisioner, --debug, start, --config, /etc/config/config.json,
          --helper-image, $helper]
        env:
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - name: CONFIG_MOUNT_PATH
          value: /etc/config/
        volumeMounts: [{name: config-volume, mountPath: /etc/config/}]
      volumes:
      - name: config-volume
        configMap: {name: local-path-config}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
kind: ConfigMap
apiVersion: v1
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  config.json: |-
    {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$state/local-path"]}]}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      priorityClassName: system-node-critical
      tolerations:
      - key: node.kubernetes.io/disk-pressure
        operator: Exists
        effect: NoSchedule
      containers:
      - name: helper-pod
        image: $helper
        imagePullPolicy: Never
EOF
}

# A DNS query (A record) of <name> to <server>, from the host: exit 0 when it has an answer.
dns_answers() {
  python3 - "$1" "$2" <<'PY'
import random, socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
r = s.recv(4096)
rid, flags, _, ancount = struct.unpack(">HHHH", r[:8])
sys.exit(0 if rid == qid and flags & 0xF == 0 and ancount > 0 else 1)
PY
}

# ---- up / down ---------------------------------------------------------------------------------------
up() {
  [ "$(id -u)" = 0 ] || die "the cluster needs root (network namespaces, iptables, mounts)"
  local etcd apiserver
  etcd=$(kube_tool etcd)
  apiserver=$(kube_tool kube-apiserver)
  for t in kubelet kube-controller-manager kube-scheduler kube-proxy kubectl containerd; do tool "$t" >/dev/null; done
  # Host tools (Debian packages): iproute2, iptables, nftables (down removes the enforcer's
  # table), conntrack (kube-proxy clears stale UDP entries), openssl, python3 (the DNS check).
  for t in ip iptables nft conntrack openssl python3; do
    command -v "$t" >/dev/null || die "$t is missing: apt-get install iproute2 iptables nftables conntrack openssl python3"
  done
  if [ -d "$state" ]; then
    log "a previous cluster's state is there: stopping it first"
    down
  fi
  mkdir -p "$state/logs" "$state/pids"
  log "state directory $state"
  credentials
  host_network
  configs
  log "certificates, kubeconfigs and configuration written; $BRIDGE is $NODE_IP/24"

  start containerd "$(tool containerd)" --config "$state/containerd/config.toml"
  wait_for containerd 30 "$(tool ctr)" --address "$state/containerd/containerd.sock" version || { tail_logs containerd; exit 1; }
  bash "$repo/toolchain/cluster/images.sh" --import "$state/containerd/containerd.sock"
  log "images imported"

  start etcd "$etcd" --name=default --data-dir="$state/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls= --log-level=warn
  start kube-apiserver "$apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$API_PORT" \
    --tls-cert-file="$state/pki/apiserver.crt" --tls-private-key-file="$state/pki/apiserver.key" \
    --client-ca-file="$state/pki/ca.crt" \
    --token-auth-file="$state/pki/tokens.csv" --authorization-mode=Node,RBAC \
    --service-account-key-file="$state/pki/sa.pub" --service-account-signing-key-file="$state/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    `# logs/exec go to the node's InternalIP: the default tries its Hostname first, which` \
    `# kube-apiserver would look up in the machine's DNS resolver, off this host` \
    --kubelet-preferred-address-types=InternalIP \
    --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultStorageClass,ResourceQuota,PodSecurity \
    --profiling=false --v=0
  wait_for kube-apiserver 120 kubectl get --raw /readyz || { tail_logs etcd kube-apiserver; exit 1; }

  start kube-controller-manager "$(tool kube-controller-manager)" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false \
    --service-account-private-key-file="$state/pki/sa.key" --root-ca-file="$state/pki/ca.crt" \
    --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr="$CLUSTER_CIDR" --node-cidr-mask-size=24 \
    --service-cluster-ip-range="$SERVICE_CIDR" --controllers='*,-csrsigning,-csrapproving,-csrcleaner' \
    --profiling=false --v=0
  start kube-scheduler "$(tool kube-scheduler)" --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=0
  # cgroup v1 and no systemd; kubelet's own cgroups are left where it was started (no
  # --kubelet-cgroups/--runtime-cgroups), and the pods' QoS cgroups go under /kubepods.
  start kubelet "$(tool kubelet)" --config="$state/kubelet.yaml" --kubeconfig="$state/kubelet.kubeconfig" \
    --hostname-override="$NODE" --node-ip="$NODE_IP" --root-dir="$state/kubelet" \
    --cert-dir="$state/kubelet/pki" --v=1
  # iptables mode; NodePorts on the node's bridge address only (not on eth0);
  # --oom-score-adj=0 as above (no CAP_SYS_RESOURCE to lower it); conntrack limits are the kernel's own (--conntrack-max-per-core=0 leaves
  # nf_conntrack_max alone), health and metrics on loopback.
  start kube-proxy "$(tool kube-proxy)" --kubeconfig="$state/kube-proxy.kubeconfig" \
    --hostname-override="$NODE" --proxy-mode=iptables --cluster-cidr="$CLUSTER_CIDR" \
    --conntrack-max-per-core=0 --healthz-bind-address=127.0.0.1:10256 \
    --metrics-bind-address=127.0.0.1:10249 --oom-score-adj=0 --nodeport-addresses="$NODE_IP/32" --v=0
  wait_for "node $NODE Ready" 120 kubectl wait --for=condition=Ready "node/$NODE" --timeout=2s ||
    { tail_logs kubelet containerd; exit 1; }

  addons >"$state/addons.yaml"
  kubectl apply -f "$state/addons.yaml" >"$state/logs/addons-apply.log"
  log "CoreDNS, kube-network-policies and local-path-provisioner applied"
  wait_for "CoreDNS" 120 kubectl -n kube-system rollout status deployment/coredns --timeout=2s ||
    { kubectl -n kube-system get pods -o wide >&2; tail_logs kubelet; exit 1; }
  wait_for "kube-network-policies" 120 kubectl -n kube-system rollout status daemonset/kube-network-policies --timeout=2s ||
    { kubectl -n kube-system get pods -o wide >&2; exit 1; }
  wait_for "local-path-provisioner" 120 kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=2s ||
    { kubectl -n local-path-storage get pods -o wide >&2; exit 1; }
  wait_for "CoreDNS answering kubernetes.default.svc.cluster.local at $DNS_IP" 60 \
    dns_answers kubernetes.default.svc.cluster.local "$DNS_IP" || exit 1
  log "up: kubeconfig $state/admin.kubeconfig"
}

# drop_chains <iptables|ip6tables> <table> <chain regex> : the rules that jump to the matching
# chains, then the chains themselves.
drop_chains() {
  local cmd=$1 table=$2 re=$3 chains c
  chains=$("$cmd" -t "$table" -S 2>/dev/null | awk -v re="$re" '$1 == "-N" && $2 ~ re { print $2 }')
  [ -n "$chains" ] || return 0
  "$cmd" -t "$table" -S | awk -v re="$re" '$1 == "-A" { for (i = 1; i < NF; i++) if ($i == "-j" && $(i + 1) ~ re) { $1 = "-D"; print; break } }' |
    while read -r rule; do eval "$cmd" -t "$table" "$rule" 2>/dev/null || true; done
  for c in $chains; do "$cmd" -t "$table" -F "$c" 2>/dev/null || true; done
  for c in $chains; do "$cmd" -t "$table" -X "$c" 2>/dev/null || true; done
}

down() {
  [ -d "$state" ] || { log "no cluster state at $state"; return 0; }
  local ctr sock pid
  ctr=$(tool ctr)
  sock="$state/containerd/containerd.sock"
  stop kube-proxy
  stop kubelet
  stop kube-scheduler
  stop kube-controller-manager
  # The pods' containers: killed through containerd, so their shims exit and mounts go.
  if alive containerd; then
    for id in $("$ctr" --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      "$ctr" --address "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    sleep 1
    for id in $("$ctr" --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      "$ctr" --address "$sock" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  # Shims outlive containerd: end those of this state directory, by pid.
  for pid in $(grep -lsF "$state/containerd" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  stop kube-apiserver
  stop etcd
  # Mounts under the state directory (pod volumes, overlay snapshots, sandbox shm), deepest first.
  awk -v s="$state" '$2 == s || index($2, s "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  # Pod network namespaces: containerd's CRI names them cni-<uuid> under /var/run/netns, as no
  # other program here does; each is removed with its veth.
  for ns in /var/run/netns/cni-*; do
    [ -e "$ns" ] || continue
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  # Rules: kube-proxy's own cleanup, then the chains kubelet makes (KUBE-FIREWALL and its
  # canaries, which kube-proxy leaves), the portmap plugin's CNI-* chains, and ours.
  if [ -x "$(tool kube-proxy)" ]; then "$(tool kube-proxy)" --cleanup >/dev/null 2>&1 || true; fi
  local cmd table
  for cmd in iptables ip6tables; do
    for table in filter nat mangle; do
      drop_chains "$cmd" "$table" '^(KUBE-FIREWALL|KUBE-KUBELET-CANARY|KUBE-IPTABLES-HINT|KUBE-PROXY-CANARY|CNI-.*|'"$CHAIN"')$'
    done
  done
  nft delete table inet kube-network-policies 2>/dev/null || true
  ip link delete "$BRIDGE" 2>/dev/null || true
  rm -rf "$state"
  log "down"
}

status() {
  [ -f "$state/admin.kubeconfig" ] || { echo "no cluster at $state"; return 1; }
  local name
  for name in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    if alive "$name"; then echo "$name: running (pid $(cat "$state/pids/$name"))"; else echo "$name: not running"; fi
  done
  kubectl get --raw /readyz >/dev/null 2>&1 || { echo "kube-apiserver: not answering"; return 1; }
  kubectl wait --for=condition=Ready "node/$NODE" --timeout=1s >/dev/null 2>&1 || { echo "node $NODE: not Ready"; return 1; }
  echo "node $NODE: Ready"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kubeconfig)
    [ -f "$state/admin.kubeconfig" ] || die "no cluster at $state: bash scripts/cluster.sh up"
    echo "$state/admin.kubeconfig"
    ;;
  *)
    echo "usage: bash scripts/cluster.sh up|down|status|kubeconfig" >&2
    exit 2
    ;;
esac
