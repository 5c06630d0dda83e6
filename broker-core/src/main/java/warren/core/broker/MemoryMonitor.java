package warren.core.broker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The memory alarm ({@code vm_memory_high_watermark.relative}). Compared with
 * {@code relative × max heap} is the larger of two measures: the bytes of message bodies held by
 * queues (ready and unacknowledged), updated on every enqueue and removal, and the live heap
 * (in use after the last garbage collection), sampled twice a second. Raw heap usage is not used:
 * it swings with garbage not yet collected. Listeners hear every change of state.
 */
public final class MemoryMonitor {
    private final long maxHeapBytes;
    private volatile long limitBytes;
    private final AtomicLong used = new AtomicLong();
    private volatile long liveHeap;
    private volatile boolean diskAlarm;
    private final AtomicBoolean alarm = new AtomicBoolean();
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

    public MemoryMonitor(double relative, long maxHeapBytes) {
        this.maxHeapBytes = maxHeapBytes;
        this.limitBytes = (long) (relative * maxHeapBytes);
    }

    /** Changes the watermark at runtime (warrenctl set_vm_memory_high_watermark); the alarm is re-evaluated. */
    public void setRelative(double relative) {
        this.limitBytes = (long) (relative * maxHeapBytes);
        evaluate();
    }

    public void adjust(long delta) {
        used.addAndGet(delta);
        evaluate();
    }

    /**
     * The live heap as last measured (heap in use after the latest garbage collection, sampled
     * periodically). The alarm compares the larger of this and the queued bytes to the mark, so
     * a watermark below the broker's own footprint is in alarm at once, as RabbitMQ's would be.
     */
    public void setLiveHeap(long bytes) {
        liveHeap = bytes;
        evaluate();
    }

    private void evaluate() {
        // Re-check until the flag agrees with the count: two threads crossing the mark in opposite
        // directions at once must not leave the alarm in the wrong state.
        while (true) {
            boolean over = memoryOver() || diskAlarm;
            boolean current = alarm.get();
            if (current == over) {
                return;
            }
            if (alarm.compareAndSet(current, over)) {
                for (Consumer<Boolean> l : listeners) {
                    l.accept(over);
                }
            }
        }
    }

    private boolean memoryOver() {
        return Math.max(used.get(), liveHeap) > limitBytes;
    }

    /** The disk alarm (free space below disk_free_limit) blocks publishers the same way. */
    public void setDiskAlarm(boolean on) {
        diskAlarm = on;
        evaluate();
    }

    /** connection.blocked's reason, as RabbitMQ words it. */
    public String reason() {
        return diskAlarm && !memoryOver() ? "low on disk" : "low on memory";
    }

    public boolean inAlarm() {
        return alarm.get();
    }

    public long usedBytes() {
        return used.get();
    }

    public long limitBytes() {
        return limitBytes;
    }

    public void addListener(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<Boolean> listener) {
        listeners.remove(listener);
    }
}
