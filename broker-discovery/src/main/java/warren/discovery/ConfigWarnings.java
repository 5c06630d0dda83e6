package warren.discovery;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Warnings about a backend's configuration, logged once per process. A node creates its backend
 * more than once (the boot-time config check, each app start, each {@code warrenctl discover_peers});
 * the configuration is the same every time, so the operator reads each warning once; repeats go to
 * DEBUG.
 */
public final class ConfigWarnings {

    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private ConfigWarnings() {
    }

    /** Logs {@code message} at WARN the first time this process sees it, at DEBUG after that. */
    public static void warnOnce(Logger log, String message) {
        if (LOGGED.add(log.getName() + '\0' + message)) {
            log.warn(message);
        } else {
            log.debug(message);
        }
    }
}
