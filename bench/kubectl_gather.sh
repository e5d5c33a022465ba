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

# Plural names as people type them: a group-qualified name of 4 parts (subscriptions.operators.coreos.com) is
# first read by kubectl as resource.version.group, misses, and makes it fetch discovery again on every call.
olm_kinds=subscriptions,installplans,clusterserviceversions,operatorgroups,catalogsources,operatorconditions
step_kinds=serviceaccounts,roles,rolebindings,services,configmaps,secrets
workload_kinds=deployments,replicasets,pods,events

"$kubectl" get customresourcedefinitions,clusterroles,clusterrolebindings,operators -o yaml \
    >"$out/cluster-scoped.yaml"

for ns in "$@"; do
    mkdir -p "$out/$ns/logs"
    "$kubectl" get "$olm_kinds,$step_kinds,$workload_kinds" -n "$ns" -o yaml >"$out/$ns/resources.yaml"
    for pod in $("$kubectl" get pods -n "$ns" -o name); do
        "$kubectl" logs -n "$ns" "$pod" --all-containers >"$out/$ns/logs/${pod#pod/}.log" || true
    done
done
