#!/bin/sh
# fence_tandemtest: the test cluster's STONITH agent (fence-agent protocol: options as
# key=value lines on stdin, or -o ACTION -n NODE). It runs inside a node, which cannot reach
# other nodes' processes, so it leaves a request in @FENCE_DIR@ and waits for the test process
# (test/harness/pcmk/cluster.ts) to kill, restart or report on the target node.
FENCE_DIR='@FENCE_DIR@'
NODES='@NODES@'
action='' target=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) action=$2; shift ;;
	--action=*) action=${1#*=} ;;
	-n) target=$2; shift ;;
	--plug=*|--port=*) target=${1#*=} ;;
	esac
	shift
done
if [ -z "$action$target" ] && [ ! -t 0 ]; then
	while IFS='=' read -r k v; do
		case $k in
		action|option) [ -z "$action" ] && action=$v ;;
		port|plug|nodename) [ -z "$target" ] && target=$v ;;
		esac
	done
fi
action=${action:-reboot}
case $action in
metadata)
	cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_tandemtest" shortdesc="Fence agent of Tandem's Pacemaker test harness">
<longdesc>Powers off (kills) or reboots a node of the namespace-based test cluster.</longdesc>
<vendor-url>none</vendor-url>
<parameters>
  <parameter name="action" unique="0" required="1"><getopt mixed="-o, --action=[action]"/><content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>
  <parameter name="plug" unique="0" required="0" obsoletes="port"><getopt mixed="-n, --plug=[id]"/><content type="string"/><shortdesc lang="en">Node to fence</shortdesc></parameter>
  <parameter name="port" unique="0" required="0" deprecated="1"><getopt mixed="-n, --port=[id]"/><content type="string"/><shortdesc lang="en">Node to fence</shortdesc></parameter>
</parameters>
<actions>
  <action name="on" automatic="0"/><action name="off"/><action name="reboot"/><action name="status"/>
  <action name="list"/><action name="list-status"/><action name="monitor"/><action name="metadata"/>
</actions>
</resource-agent>
XML
	exit 0 ;;
list) for n in $NODES; do echo "$n,"; done; exit 0 ;;
list-status) for n in $NODES; do echo "$n,,"; done; exit 0 ;;
monitor) [ -d "$FENCE_DIR" ] && exit 0 || exit 1 ;;
esac
[ -n "$target" ] || { echo "fence_tandemtest: no target node" >&2; exit 1; }
id="$(date +%s%N).$$"
echo "$action $target $(uname -n)" > "$FENCE_DIR/$id.tmp" && mv "$FENCE_DIR/$id.tmp" "$FENCE_DIR/$id.req" || exit 1
i=0
while [ $i -lt 600 ]; do   # 60 s
	if [ -e "$FENCE_DIR/$id.done" ]; then
		rc=$(cat "$FENCE_DIR/$id.done"); rm -f "$FENCE_DIR/$id.done"
		exit "$rc"
	fi
	sleep 0.1; i=$((i + 1))
done
echo "fence_tandemtest: no answer for $action $target" >&2
exit 1
