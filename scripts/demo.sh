#!/usr/bin/env bash
# Stands up the demo mail server: the long-lived container mailgov-demo (systemd as PID 1),
# then the site playbook against it. Run through `make demo`, after `make setup`.
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"
cd "${MAILGOV_ROOT}"

container=mailgov-demo
image="${MAILGOV_IMAGE_REPO}:${MAILGOV_DEMO_SUITE}"
inventory=inventories/demo
state_dir=.cache/demo
mkdir -p "${state_dir}"

# The host name and the published ports come from the inventory, so the container is
# what the playbooks expect. Prints the host name, then one -p value per line.
container_spec() {
    ansible-inventory -i "${inventory}" --host "${container}" | python3 -c '
import json, sys
hostvars = json.load(sys.stdin)
print(hostvars["mail_hostname"])
for port in hostvars["demo_ports"]:
    print("127.0.0.1:%s:%s" % (port["host"], port["container"]))
'
}

spec_lines="$(container_spec)" || die "Could not read the demo host from ${inventory}: check that 'ansible-inventory -i ${inventory} --host ${container}' works."
mapfile -t spec <<<"${spec_lines}"
hostname="${spec[0]}"
publish=()
for port in "${spec[@]:1}"; do
    publish+=(--publish "${port}")
done
# A container left running when the machine stopped can stay "stopping" for good.
stuck() {
    die "The ${container} container cannot be started (podman says '${1}'), as happens when the machine stopped while it ran: run 'make demo-down', then 'make demo' to make a new one (the demo's mail and accounts start afresh)."
}

spec_id="$(printf '%s\n' "${image}" "${spec_lines}" | sha256sum | cut -c1-16)"

if podman container exists "${container}"; then
    made_with="$(podman container inspect --format '{{ index .Config.Labels "io.mailgov.demo-spec" }}' "${container}")"
    if [[ "${made_with}" != "${spec_id}" ]]; then
        die "The ${container} container was made with another host name, image or ports than ${inventory} now gives: run 'make demo-down', then 'make demo'."
    fi
    if [[ "$(podman container inspect --format '{{ .State.Running }}' "${container}")" != "true" ]]; then
        say "Starting the ${container} container"
        podman start "${container}" >/dev/null 2>&1 || stuck "$(podman container inspect --format '{{ .State.Status }}' "${container}")"
    fi
else
    say "Creating the ${container} container (${hostname}) from ${image}"
    podman run --detach --name "${container}" --hostname "${hostname}" \
        --systemd=always --label "io.mailgov.demo-spec=${spec_id}" \
        "${publish[@]}" "${image}" /sbin/init >/dev/null
fi

# Ansible must not race systemd while it boots; right after start even exec can fail.
state=""
for _ in {1..60}; do
    state="$(timeout 120 podman exec "${container}" systemctl is-system-running --wait 2>/dev/null || true)"
    [[ "${state}" == "running" || "${state}" == "degraded" ]] && break
    sleep 1
done
if [[ -z "${state}" ]]; then
    stuck "$(podman container inspect --format '{{ .State.Status }}' "${container}")"
elif [[ "${state}" != "running" ]]; then
    say "systemd in ${container} says '${state}'; see: podman exec ${container} systemctl --failed"
fi

say "Applying playbooks/site.yml to ${container}"
if [[ -t 1 ]]; then
    export ANSIBLE_FORCE_COLOR=1
fi
if ! ansible-playbook -i "${inventory}" playbooks/site.yml | tee "${state_dir}/site.log"; then
    die "The playbook failed on ${container}: the error is above (also in ${state_dir}/site.log); fix it, then run 'make demo' again."
fi

changed="$(sed -e 's/\x1b\[[0-9;]*m//g' "${state_dir}/site.log" \
    | sed -n '/^PLAY RECAP/,$p' \
    | awk -F'changed=' 'NF > 1 { split($2, n, " "); total += n[1] } END { print total + 0 }')"

ansible-playbook -i "${inventory}" playbooks/demo-summary.yml >"${state_dir}/summary.log" 2>&1 \
    || die "Could not write the demo summary: see ${state_dir}/summary.log."

echo
cat "${state_dir}/summary.txt"
echo
if [[ "${changed}" -eq 0 ]]; then
    echo "The demo is already up to date: nothing changed."
else
    echo "The demo is ready: ${changed} change(s) applied."
fi
