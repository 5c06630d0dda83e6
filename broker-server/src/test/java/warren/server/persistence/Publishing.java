package warren.server.persistence;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import warren.server.process.NodeProcess;

/** Bulk persistent publishing with confirms in windows: body = producer id (int) + seq (long) + padding. */
final class Publishing {

    private Publishing() {
    }

    /** Publishes {@code total} persistent messages of {@code size} bytes to {@code queue}; returns when all are confirmed. */
    static void publish(NodeProcess node, String queue, long total, int size, int producers) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong nacked = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        try (Connection c = node.connect()) {
            for (int p = 0; p < producers; p++) {
                int id = p;
                long count = total / producers + (p < total % producers ? 1 : 0);
                Thread t = new Thread(() -> {
                    try {
                        Channel ch = c.createChannel();
                        ch.confirmSelect();
                        Semaphore window = new Semaphore(5000);
                        java.util.concurrent.ConcurrentSkipListSet<Long> out = new java.util.concurrent.ConcurrentSkipListSet<>();
                        ch.addConfirmListener(new ConfirmListener() {
                            @Override
                            public void handleAck(long tag, boolean multiple) {
                                settle(tag, multiple);
                            }

                            @Override
                            public void handleNack(long tag, boolean multiple) {
                                nacked.incrementAndGet();
                                settle(tag, multiple);
                            }

                            private void settle(long tag, boolean multiple) {
                                var done = multiple ? out.headSet(tag, true) : out.subSet(tag, true, tag, true);
                                int n = done.size();
                                done.clear();
                                window.release(n);
                            }
                        });
                        byte[] body = new byte[size];
                        for (long seq = 0; seq < count; seq++) {
                            if (!window.tryAcquire(120, TimeUnit.SECONDS)) {
                                throw new AssertionError("producer " + id + ": no confirm for 120 s at seq " + seq);
                            }
                            ByteBuffer.wrap(body).putInt(id).putLong(seq);
                            out.add(ch.getNextPublishSeqNo());
                            ch.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, body);
                        }
                        if (!window.tryAcquire(5000, 120, TimeUnit.SECONDS)) {
                            throw new AssertionError("producer " + id + ": last confirms missing");
                        }
                        ch.close();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "publisher-" + p);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("publishing failed", failure.get());
        }
        if (nacked.get() > 0) {
            throw new AssertionError(nacked.get() + " publishes nacked");
        }
    }
}
