package warren.server.control;

import java.util.Map;

/** What the control listener may ask of the daemon itself, beyond the broker's admin surface. */
public interface DaemonActions {

    /** Daemon-level status: node name, pid, listeners, directories, uptime. */
    Map<String, Object> nodeStatus();

    /** Begins a clean stop of the whole node; returns at once (the reply must still go out). */
    void requestStop();
}
