package warren.cluster.link;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import warren.core.link.LinkConnection;
import warren.core.link.LinkEndpoint;

/** A broker stand-in: records every connection the transport hands over, each with a {@link RecordingHandler}. */
final class RecordingEndpoint implements LinkEndpoint {

    final List<RecordingHandler> connected = new CopyOnWriteArrayList<>();
    final List<RecordingHandler> accepted = new CopyOnWriteArrayList<>();
    /** Runs on the I/O thread for each new handler, before any frame reaches it. */
    private volatile Consumer<RecordingHandler> onOpen = handler -> {
    };

    void onOpen(Consumer<RecordingHandler> hook) {
        this.onOpen = hook;
    }

    @Override
    public RecordingHandler accepted(LinkConnection connection) {
        return open(connection, accepted);
    }

    @Override
    public RecordingHandler connected(LinkConnection connection) {
        return open(connection, connected);
    }

    int calls() {
        return connected.size() + accepted.size();
    }

    RecordingHandler lastConnected() {
        return connected.get(connected.size() - 1);
    }

    RecordingHandler lastAccepted() {
        return accepted.get(accepted.size() - 1);
    }

    private RecordingHandler open(LinkConnection connection, List<RecordingHandler> into) {
        RecordingHandler handler = new RecordingHandler(connection);
        onOpen.accept(handler);
        into.add(handler);
        return handler;
    }
}
