#!/usr/bin/env bash
# The kubectl script a support engineer writes to gather OLM operators, for the benchmark (bench/run.py):
# per namespace, each OLM kind and each step kind as a list (`kubectl get <kinds> -n NS -o yaml`), then every
# pod's logs, one kubectl after another. Cluster-scoped step kinds (CRDs, ClusterRoles, ClusterRoleBindings)
# and Operators are listed once, not once per namespace.
#
# Usage: kubectl_gather.sh OUTPUT_DIR NAMESPACE...   (kubectl is $KUBECTL, else the one on PATH; KUBECONFIG as usual)
set -euo pipefail

kubectl=${KUBECTL:-kubectl}
out=$1
shift
mkdir -p "$out"

olm_kinds=subscriptions.operators.coreos.com,installplans.operators.coreos.com,clusterserviceversions.operators.coreos.com
olm_kinds+=,operatorgroups.operators.coreos.com,catalogsources.operators.coreos.com,operatorconditions.operators.coreos.com
step_kinds=serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,services,configmaps,secrets
workload_kinds=deployments.apps,replicasets.apps,pods,events

"$kubectl" get customresourcedefinitions,clusterroles,clusterrolebindings,operators.operators.coreos.com -o yaml \
    >"$out/cluster-scoped.yaml"

for ns in "$@"; do
    mkdir -p "$out/$ns/logs"
    "$kubectl" get "$olm_kinds,$step_kinds,$workload_kinds" -n "$ns" -o yaml >"$out/$ns/resources.yaml"
    for pod in $("$kubectl" get pods -n "$ns" -o name); do
        "$kubectl" logs -n "$ns" "$pod" --all-containers >"$out/$ns/logs/${pod#pod/}.log" || true
    done
done
