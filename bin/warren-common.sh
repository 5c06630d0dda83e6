# Shared by bin/warren-server and bin/warrenctl (sourced, not run).
# Resolves the installation directory from the script path, builds the jar and target/lib on a
# fresh clone, and sets WARREN_CLASSPATH.

warren_resolve_home() {
    local src="${BASH_SOURCE[1]}"
    while [ -L "$src" ]; do
        local dir
        dir="$(cd -P "$(dirname "$src")" && pwd)"
        src="$(readlink "$src")"
        case "$src" in /*) ;; *) src="$dir/$src" ;; esac
    done
    WARREN_HOME="${WARREN_HOME:-$(cd -P "$(dirname "$src")/.." && pwd)}"
    export WARREN_HOME
}

warren_build_if_missing() {
    local jar="$WARREN_HOME/broker-server/target/warren-server.jar"
    local lib="$WARREN_HOME/broker-server/target/lib"
    if [ -f "$WARREN_HOME/lib/warren-server.jar" ]; then
        # installed layout: $WARREN_HOME/lib holds every jar
        WARREN_CLASSPATH="$WARREN_HOME/lib/*"
        return 0
    fi
    local stale=""
    if [ -f "$jar" ] && [ "${WARREN_SKIP_BUILD:-}" != "1" ]; then
        # a source checkout: rebuild when any source or pom is newer than the jar
        stale="$(find "$WARREN_HOME" -maxdepth 1 -name pom.xml -newer "$jar" -print -quit 2>/dev/null)"
        [ -n "$stale" ] || stale="$(find "$WARREN_HOME"/broker-*/src/main "$WARREN_HOME"/broker-*/pom.xml \
            -newer "$jar" -print -quit 2>/dev/null)"
    fi
    if [ ! -f "$jar" ] || [ ! -d "$lib" ] || [ -z "$(ls -A "$lib" 2>/dev/null)" ] || [ -n "$stale" ]; then
        if ! command -v mvn >/dev/null 2>&1; then
            echo "Error: $jar is missing and mvn is not on PATH; build with 'mvn -B -DskipTests package'" >&2
            return 1
        fi
        echo "Building Warren (first run): mvn -q -B -DskipTests package ..." >&2
        (cd "$WARREN_HOME" && mvn -q -B -DskipTests package) >&2 || {
            echo "Error: the build failed; run 'cd $WARREN_HOME && mvn -B -DskipTests package' to see why" >&2
            return 1
        }
    fi
    WARREN_CLASSPATH="$jar:$lib/*"
}

warren_java() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "${JAVA_HOME:-}/bin/java" ]; then
        echo "${JAVA_HOME}/bin/java"
    else
        echo java
    fi
}
