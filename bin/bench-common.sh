# Shared by bin/bench-cluster and bin/bench-remote (sourced, not run): a 3-node Warren cluster and
# a 3-node RabbitMQ cluster on 127.0.0.1, started and stopped by PID, private run dirs, HOME and
# epmd; the ClusterDefinitionsBench driver; results.tsv bookkeeping.
#
# The sourcing script sets before calling bench_init: WARREN_HOME, KEEP (true|false), BENCH_NAME
# (output under target/$BENCH_NAME/<ts>/, scratch /tmp/$BENCH_NAME.XXXXXX) and optionally
# W_PORT, R_PORT, EPMD_PORT (defaults below; env CB_WARREN_PORT, CB_RABBIT_PORT, CB_EPMD_PORT).
#
# Ports, node i = 1..3:  Warren AMQP W_PORT+i-1, cluster +20000, control +30000, data link +40000
#                        RabbitMQ AMQP R_PORT+i-1, dist +20000; epmd EPMD_PORT

W_PORT=${W_PORT:-${CB_WARREN_PORT:-5781}} R_PORT=${R_PORT:-${CB_RABBIT_PORT:-5791}} EPMD_PORT=${EPMD_PORT:-${CB_EPMD_PORT:-4391}}

bench_init() { # checks, driver classpath, output and scratch dirs, port check, cleanup trap
    [ "$(id -u)" = 0 ] || { echo "run as root (RabbitMQ nodes run as user rabbitmq)" >&2; exit 1; }
    [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { echo "rabbitmq-server is not installed" >&2; exit 1; }
    JAR="$WARREN_HOME/broker-server/target/warren-server.jar"
    TEST_CLASSES="$WARREN_HOME/broker-server/target/test-classes"
    [ -f "$JAR" ] && [ -f "$TEST_CLASSES/warren/server/bench/ClusterDefinitionsBench.class" ] || {
        echo "build first: (cd $WARREN_HOME && mvn -B -q -DskipTests package)" >&2; exit 1; }
    local amqp_version amqp_jar
    amqp_version="$(sed -n 's:.*<amqp-client.version>\(.*\)</amqp-client.version>.*:\1:p' "$WARREN_HOME/pom.xml")"
    amqp_jar="$HOME/.m2/repository/com/rabbitmq/amqp-client/$amqp_version/amqp-client-$amqp_version.jar"
    [ -f "$amqp_jar" ] || { echo "missing $amqp_jar (run the build once)" >&2; exit 1; }
    DRIVER_CP="$TEST_CLASSES:$amqp_jar:$(ls "$WARREN_HOME"/broker-server/target/lib/slf4j-api-*.jar)"

    TS="$(date -u +%Y%m%d-%H%M%S)"
    OUT="$WARREN_HOME/target/$BENCH_NAME/$TS"
    BASE="$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")"
    chmod 755 "$BASE"
    mkdir -p "$OUT"
    RESULTS="$OUT/results.tsv"
    printf 'phase\tbroker\tvariant\trep\tmetric\tvalue\n' >"$RESULTS"

    local i p
    for i in 0 1 2; do
        for p in $((W_PORT + i)) $((W_PORT + 20000 + i)) $((W_PORT + 30000 + i)) $((W_PORT + 40000 + i)) \
                 $((R_PORT + i)) $((R_PORT + 20000 + i)); do
            if ss -ltnH "sport = :$p" | grep -q .; then echo "port $p is in use" >&2; exit 1; fi
        done
    done
    if ss -ltnH "sport = :$EPMD_PORT" | grep -q .; then echo "port $EPMD_PORT (epmd) is in use" >&2; exit 1; fi
    W_PIDS=() R_PIDS=() EPMD_PID=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

driver() { # the ClusterDefinitionsBench driver, without SLF4J's "no provider" warnings
    java -Xms128m -XX:+UseSerialGC -cp "$DRIVER_CP" warren.server.bench.ClusterDefinitionsBench "$@" \
        2> >(grep -v '^SLF4J' >&2)
}
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
wait_until() { # seconds command...: retries command every 0.2 s; counts retries in $polls
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || { echo "gave up waiting for: $*" >&2; exit 1; }
        polls=$((polls + 1)); sleep 0.2
    done
}
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# ------------------------------------------------------------------ process bookkeeping
bench_cleanup() {
    local rc=$?
    set +e
    log "stopping everything this run started"
    local i pid
    for i in 1 2 3; do
        [ -n "${W_PIDS[$i-1]:-}" ] && kill -0 "${W_PIDS[$i-1]}" 2>/dev/null && wctl "$i" -q stop >/dev/null 2>&1
        [ -n "${R_PIDS[$i-1]:-}" ] && kill -0 "${R_PIDS[$i-1]}" 2>/dev/null && rctl "$i" -q stop >/dev/null 2>&1
    done
    for pid in "${W_PIDS[@]}" "${R_PIDS[@]}"; do
        [ -n "$pid" ] || continue
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && { log "pid $pid still running: TERM"; kill "$pid"; sleep 2; }
        kill -0 "$pid" 2>/dev/null && { log "pid $pid still running: KILL"; kill -9 "$pid"; }
    done
    [ -n "$EPMD_PID" ] && kill "$EPMD_PID" 2>/dev/null
    mkdir -p "$OUT/logs"
    for i in 1 2 3; do
        [ -d "$BASE/warren/n$i/log" ] && cp -r "$BASE/warren/n$i/log" "$OUT/logs/warren-n$i"
        [ -d "$BASE/rabbitmq/n$i/log" ] && cp -r "$BASE/rabbitmq/n$i/log" "$OUT/logs/rabbitmq-n$i"
    done
    if [ "$KEEP" = true ]; then log "kept $BASE"; else rm -rf "$BASE"; fi
    exit "$rc"
}

# ------------------------------------------------------------------ Warren
wnode() { echo "cbw$1@$SHORT_HOST"; }
wenv() {
    local i=$1; shift
    env HOME="$W_HOME" WARREN_RUN_DIR="$BASE/warren/run" WARREN_NODENAME="$(wnode "$i")" \
        WARREN_NODE_PORT=$((W_PORT + i - 1)) WARREN_DATA_DIR="$BASE/warren/n$i/data" \
        WARREN_LOG_BASE="$BASE/warren/n$i/log" WARREN_CONFIG_FILE="$BASE/warren/warren.conf" \
        WARREN_SKIP_BUILD=1 "$@"
}
wctl() { local i=$1; shift; wenv "$i" "$WARREN_HOME/bin/warrenctl" -n "$(wnode "$i")" "$@"; }
wuri() { echo "amqp://guest:guest@127.0.0.1:$((W_PORT + $1 - 1))/%2f"; }
start_warren() {
    local i line
    SHORT_HOST="$(hostname -s 2>/dev/null || hostname)"; SHORT_HOST="${SHORT_HOST,,}"
    W_HOME="$BASE/warren/home"
    mkdir -p "$W_HOME" "$BASE/warren/run"
    printf 'listeners.tcp.default = 127.0.0.1:5672\n' >"$BASE/warren/warren.conf"
    for i in 1 2 3; do
        line="$(wenv "$i" "$WARREN_HOME/bin/warren-server" -detached)"
        echo "$line" >>"$OUT/run.log"
        W_PIDS[$i-1]="$(sed -n 's/.*(pid \([0-9]*\),.*/\1/p' <<<"$line")"
        [ -n "${W_PIDS[$i-1]}" ] || { echo "could not start $(wnode "$i"): $line" >&2; exit 1; }
    done
    for i in 2 3; do
        wctl "$i" -q stop_app && wctl "$i" -q join_cluster "$(wnode 1)" && wctl "$i" -q start_app
    done
    log "warren cluster: $(wctl 1 -q cluster_status --formatter json | tr -d ' \n')  pids ${W_PIDS[*]}"
}

# ------------------------------------------------------------------ RabbitMQ
rnode() { echo "cbr$1@localhost"; }
renv() {
    local i=$1; shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME="$R_HOME" \
        RABBITMQ_NODENAME="$(rnode "$i")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT=$((R_PORT + i - 1)) RABBITMQ_DIST_PORT=$((R_PORT + 20000 + i - 1)) \
        RABBITMQ_MNESIA_BASE="$R_BASE/n$i/mnesia" RABBITMQ_LOG_BASE="$R_BASE/n$i/log" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$R_BASE/enabled_plugins" \
        RABBITMQ_CONFIG_FILE="$R_BASE/n$i/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$R_BASE/n$i/advanced.config" \
        RABBITMQ_PID_FILE="$R_BASE/n$i/node.pid" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        runuser -u rabbitmq -- "$@"
}
rctl() { local i=$1; shift; (cd "$R_BASE" && renv "$i" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$(rnode "$i")" "$@"); }
ruri() { echo "amqp://guest:guest@127.0.0.1:$((R_PORT + $1 - 1))/%2f"; }
start_rabbitmq() {
    local i
    R_BASE="$BASE/rabbitmq"
    R_HOME="$R_BASE/home"
    mkdir -p "$R_HOME"
    head -c 64 /dev/urandom | tr -dc 'A-Z' | head -c 20 >"$R_HOME/.erlang.cookie"
    [ -s "$R_HOME/.erlang.cookie" ] || echo ABCDEFGHIJKLMNOPQRST >"$R_HOME/.erlang.cookie"
    chmod 400 "$R_HOME/.erlang.cookie"
    echo '[].' >"$R_BASE/enabled_plugins"
    for i in 1 2 3; do
        mkdir -p "$R_BASE/n$i/mnesia" "$R_BASE/n$i/log"
        printf 'listeners.tcp.default = 127.0.0.1:%s\n' $((R_PORT + i - 1)) >"$R_BASE/n$i/rabbitmq.conf"
        echo '[].' >"$R_BASE/n$i/advanced.config"
    done
    chown -R rabbitmq:rabbitmq "$R_BASE"
    # a private epmd (only these nodes and their rabbitmqctl use its port)
    epmd -port "$EPMD_PORT" -address 127.0.0.1 &
    EPMD_PID=$!
    sleep 0.5
    for i in 1 2 3; do
        (cd "$R_BASE" && renv "$i" /usr/lib/rabbitmq/bin/rabbitmq-server -detached) >>"$OUT/run.log" 2>&1
    done
    for i in 1 2 3; do
        local ok=false
        for _ in $(seq 1 90); do
            if rctl "$i" -q await_startup -t 5 >/dev/null 2>&1; then ok=true; break; fi
            sleep 1
        done
        [ "$ok" = true ] || { echo "$(rnode "$i") did not start; see $R_BASE/n$i/log" >&2; exit 1; }
        R_PIDS[$i-1]="$(rctl "$i" -q eval 'io:format("~s", [os:getpid()]).' | head -c 20 | tr -dc '0-9')"
    done
    for i in 2 3; do
        rctl "$i" -q stop_app && rctl "$i" -q join_cluster "$(rnode 1)" && rctl "$i" -q start_app
    done
    log "rabbitmq cluster: $(rctl 1 -q cluster_status --formatter json | tr -d ' \n' | head -c 400)  pids ${R_PIDS[*]}"
}

# ------------------------------------------------------------------ per-broker helpers
ctl() { local b=$1; shift; if [ "$b" = warren ]; then wctl "$@"; else rctl "$@"; fi; }
node() { if [ "$1" = warren ]; then wnode "$2"; else rnode "$2"; fi; }
uri() { if [ "$1" = warren ]; then wuri "$2"; else ruri "$2"; fi; }
pids() { if [ "$1" = warren ]; then (IFS=,; echo "${W_PIDS[*]}"); else (IFS=,; echo "${R_PIDS[*]}"); fi; }
order_for_rep() { # alternate which broker goes first, so slow drift hits both
    local b=($BROKERS)
    if [ $(($1 % 2)) = 1 ] || [ ${#b[@]} = 1 ]; then echo "${b[*]}"; else echo "${b[1]} ${b[0]}"; fi
}
cpu_ticks() { # utime + stime of the given pids, in clock ticks
    local sum=0 pid f
    for pid in "$@"; do
        f="$(cut -d')' -f2- "/proc/$pid/stat")"
        set -- $f
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}

start_brokers() { # starts every broker of $BROKERS, logs versions, then what an idle cluster costs
    local b p t0 t1
    log "output in $OUT; scratch in $BASE"
    log "warren $(git -C "$WARREN_HOME" rev-parse --short HEAD 2>/dev/null)$(git -C "$WARREN_HOME" diff --quiet 2>/dev/null || echo ' (dirty)'), rabbitmq-server $(dpkg-query -W -f '${Version}' rabbitmq-server); $(nproc) cores; java $(java -version 2>&1 | head -1)"
    for b in $BROKERS; do
        case "$b" in
            warren) log "starting the Warren cluster"; start_warren ;;
            rabbitmq) log "starting the RabbitMQ cluster"; start_rabbitmq ;;
            *) echo "unknown broker $b" >&2; exit 64 ;;
        esac
        log "$b: $(driver probe --uri "$(uri "$b" 1)")"
    done
    for b in $BROKERS; do # what an idle cluster costs the other one's measurements
        p="$(pids "$b")"; t0=$(cpu_ticks ${p//,/ }); sleep 5; t1=$(cpu_ticks ${p//,/ })
        log "$b cluster idle: $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 100 / 5 }') cores"
    done
}
