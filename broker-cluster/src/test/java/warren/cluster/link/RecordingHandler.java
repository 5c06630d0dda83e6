package warren.cluster.link;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import warren.core.link.LinkConnection;
import warren.core.link.LinkHandler;

/**
 * Records what one connection delivers. Frames written by {@link #sequenced} (a sender id, a sequence
 * number, filler) are checked as they arrive: per sender, numbers must be consecutive and the filler
 * intact; anything else counts as an error. Optionally echoes every frame back on the same connection.
 */
final class RecordingHandler implements LinkHandler {

    final LinkConnection connection;
    final AtomicLong frames = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicInteger closes = new AtomicInteger();
    final List<Boolean> writability = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    /** Copies of the frames, when {@link #keepFrames} is set. */
    final List<byte[]> kept = new CopyOnWriteArrayList<>();
    private final Map<Integer, Integer> nextSequence = new ConcurrentHashMap<>();
    volatile boolean echo;
    volatile boolean keepFrames;
    volatile boolean checkSequence;
    volatile Thread ioThread;

    RecordingHandler(LinkConnection connection) {
        this.connection = connection;
    }

    /** Writes the frame format checked by {@link #checkSequence}. */
    static ByteBuf sequenced(ByteBuf out, int sender, int sequence, int size) {
        byte[] filler = new byte[size - 8];
        for (int i = 0; i < filler.length; i++) {
            filler[i] = (byte) (sequence + 8 + i);
        }
        return out.writeInt(sender).writeInt(sequence).writeBytes(filler);
    }

    @Override
    public void onFrame(ByteBuf frame) {
        ioThread = Thread.currentThread();
        if (checkSequence) {
            check(frame);
        }
        if (keepFrames) {
            byte[] copy = new byte[frame.readableBytes()];
            frame.getBytes(frame.readerIndex(), copy);
            kept.add(copy);
        }
        bytes.addAndGet(frame.readableBytes());
        if (echo) {
            connection.send(frame.retain());
        }
        frames.incrementAndGet();
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        writability.add(writable);
    }

    @Override
    public void onClose() {
        closes.incrementAndGet();
    }

    private void check(ByteBuf frame) {
        if (errors.size() > 100) {
            return; // enough to diagnose
        }
        int at = frame.readerIndex();
        int sender = frame.getInt(at);
        int sequence = frame.getInt(at + 4);
        int expected = nextSequence.getOrDefault(sender, 0);
        if (sequence != expected) {
            errors.add("sender " + sender + ": got " + sequence + ", expected " + expected);
        }
        nextSequence.put(sender, sequence + 1);
        byte[] filler = new byte[frame.readableBytes() - 8];
        frame.getBytes(at + 8, filler);
        for (int i = 0; i < filler.length; i++) {
            if (filler[i] != (byte) (sequence + 8 + i)) {
                errors.add("sender " + sender + " frame " + sequence + ": corrupt byte " + (8 + i));
                return;
            }
        }
    }
}
