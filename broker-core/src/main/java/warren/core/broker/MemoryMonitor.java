package warren.core.broker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The memory alarm ({@code vm_memory_high_watermark.relative}). Warren counts the bytes of message
 * bodies held by queues (ready and unacknowledged) against {@code relative × max heap}: that is
 * the memory a broker can shed by blocking publishers, and unlike raw heap usage it does not swing
 * with garbage not yet collected. Listeners hear every change of state.
 */
public final class MemoryMonitor {
    private final long limitBytes;
    private final AtomicLong used = new AtomicLong();
    private final AtomicBoolean alarm = new AtomicBoolean();
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

    public MemoryMonitor(double relative, long maxHeapBytes) {
        this.limitBytes = (long) (relative * maxHeapBytes);
    }

    public void adjust(long delta) {
        used.addAndGet(delta);
        // Re-check until the flag agrees with the count: two threads crossing the mark in opposite
        // directions at once must not leave the alarm in the wrong state.
        while (true) {
            boolean over = used.get() > limitBytes;
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
