package warren.core.queue;

import java.util.ArrayDeque;

/**
 * The ready (undelivered) messages of a queue. FIFO by default; with x-max-priority, one FIFO per
 * priority level served highest first. Requeued entries go back in front of newer ones.
 */
final class ReadyList {
    private final ArrayDeque<QueueEntry>[] levels;
    private int size;
    private long bytes;

    @SuppressWarnings("unchecked")
    ReadyList(int maxPriority) {
        levels = new ArrayDeque[maxPriority + 1];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = new ArrayDeque<>();
        }
    }

    private ArrayDeque<QueueEntry> levelOf(QueueEntry e) {
        int p = Math.min(Math.max(e.message.priority(), 0), levels.length - 1);
        return levels[p];
    }

    void addLast(QueueEntry e) {
        levelOf(e).addLast(e);
        size++;
        bytes += e.message.bodySize();
    }

    /** Puts a requeued entry back by its original sequence, ahead of anything published after it. */
    void requeue(QueueEntry e) {
        ArrayDeque<QueueEntry> level = levelOf(e);
        QueueEntry first = level.peekFirst();
        if (first == null || first.seq > e.seq) {
            level.addFirst(e);
        } else {
            // Rare: older entries already requeued ahead; rebuild keeping sequence order.
            ArrayDeque<QueueEntry> rebuilt = new ArrayDeque<>(level.size() + 1);
            boolean placed = false;
            for (QueueEntry x : level) {
                if (!placed && x.seq > e.seq) {
                    rebuilt.addLast(e);
                    placed = true;
                }
                rebuilt.addLast(x);
            }
            if (!placed) {
                rebuilt.addLast(e);
            }
            level.clear();
            level.addAll(rebuilt);
        }
        size++;
        bytes += e.message.bodySize();
    }

    QueueEntry peek() {
        for (int i = levels.length - 1; i >= 0; i--) {
            QueueEntry e = levels[i].peekFirst();
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    QueueEntry poll() {
        for (int i = levels.length - 1; i >= 0; i--) {
            QueueEntry e = levels[i].pollFirst();
            if (e != null) {
                size--;
                bytes -= e.message.bodySize();
                return e;
            }
        }
        return null;
    }

    /** The oldest entry of the lowest priority: what drop-head removes first. */
    QueueEntry pollOldestLowest() {
        for (ArrayDeque<QueueEntry> level : levels) {
            QueueEntry e = level.pollFirst();
            if (e != null) {
                size--;
                bytes -= e.message.bodySize();
                return e;
            }
        }
        return null;
    }

    int size() {
        return size;
    }

    long bytes() {
        return bytes;
    }

    void clear() {
        for (ArrayDeque<QueueEntry> level : levels) {
            level.clear();
        }
        size = 0;
        bytes = 0;
    }
}
