#!/bin/bash
# Creates the cluster's CA, component certificates and kubeconfigs under .cluster/pki.
# Kept across cluster:down; made again only when missing or when the node's name or
# address (which the serving certificates name) changed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NODE_IP=$(node_ip)
params="node=$NODE_NAME ip=$NODE_IP service=$FIRST_SERVICE_IP format=2"
if [ -f "$PKI_DIR/params" ] && [ "$(cat "$PKI_DIR/params")" = "$params" ] && [ -f "$PKI_DIR/admin.kubeconfig" ]; then
  exit 0
fi

log "creating PKI in $PKI_DIR ($params)"
rm -rf "$PKI_DIR"
mkdir -p "$PKI_DIR"
chmod 700 "$PKI_DIR"
cd "$PKI_DIR"

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
  -subj "/CN=coderun-local-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

# sign NAME CN ORG EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
sign() {
  local name=$1 cn=$2 org=$3 eku=$4 san=${5:-} subj
  subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" \
    -days 3650 -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign apiserver kube-apiserver "" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$NODE_IP,IP:$FIRST_SERVICE_IP"
sign apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
sign admin kubernetes-admin system:masters clientAuth
sign controller-manager system:kube-controller-manager "" clientAuth
sign scheduler system:kube-scheduler "" clientAuth
sign kube-proxy system:kube-proxy "" clientAuth
sign kubelet "system:node:$NODE_NAME" system:nodes clientAuth,serverAuth "DNS:$NODE_NAME,IP:127.0.0.1,IP:$NODE_IP"
sign netpol coderun:netpol-enforcer "" clientAuth
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

# write_kubeconfig NAME CERT_BASENAME : kubeconfig with embedded credentials.
write_kubeconfig() {
  cat > "$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: coderun-local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$2.crt")
    client-key-data: $(base64 -w0 "$2.key")
contexts:
- name: coderun-local
  context: {cluster: coderun-local, user: $1}
current-context: coderun-local
KC
}
for n in admin controller-manager scheduler kubelet kube-proxy netpol; do write_kubeconfig "$n" "$n"; done
chmod 600 ./*.key ./*.kubeconfig
echo "$params" > params
