package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Python pika client (Debian's python3-pika) publishes, consumes and acks against the broker. */
class PikaInteropIT extends AmqpIT {

    /** The first interpreter that can import pika: Debian's /usr/bin/python3 first (pyenv shims may lack it). */
    static String pythonWithPika() throws Exception {
        for (String py : List.of("/usr/bin/python3", "python3")) {
            if (py.startsWith("/") && !new File(py).canExecute()) {
                continue;
            }
            try {
                Process p = new ProcessBuilder(py, "-c", "import pika").redirectErrorStream(true).start();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return py;
                }
                p.destroyForcibly();
            } catch (java.io.IOException e) {
                // not installed
            }
        }
        return null;
    }

    /** Runs a pika script (bounded, killed on timeout) and returns its output; it must exit 0. */
    static String runPika(String python, Path script, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pika script " + script + " did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "pika script failed:\n" + out);
        return out;
    }

    @Test
    void pikaPublishesConsumesAndAcks(@TempDir Path tmp) throws Exception {
        String python = pythonWithPika();
        Assumptions.assumeTrue(python != null, "python3 with pika not available (apt-get install python3-pika)");
        Path script = tmp.resolve("pika_roundtrip.py");
        try (InputStream in = getClass().getResourceAsStream("/it/pika_roundtrip.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        String qn = q("pika");
        Process p = new ProcessBuilder(python, script.toString(), String.valueOf(broker.port()), qn, "5")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pika script did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "pika script failed:\n" + out);
        assertEquals(List.of("published 5", "received msg-0,msg-1,msg-2,msg-3,msg-4", "remaining 0", "done"),
                out.lines().toList(), out);
        assertChannelError(404, () -> channel().queueDeclarePassive(qn)); // the script deleted its queue
    }

    @Test
    void javaPublishedMessagesAreReadByPika(@TempDir Path tmp) throws Exception {
        String python = pythonWithPika();
        Assumptions.assumeTrue(python != null, "python3 with pika not available");
        String qn = q("pika-java");
        var ch = channel();
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, new com.rabbitmq.client.AMQP.BasicProperties.Builder()
                .headers(java.util.Map.of("k", "v")).build(), "from-java");
        Path script = tmp.resolve("read.py");
        Files.writeString(script, String.join("\n",
                "import sys, pika",
                "c = pika.BlockingConnection(pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1]),"
                        + " credentials=pika.PlainCredentials('guest', 'guest')))",
                "ch = c.channel()",
                "m, props, body = ch.basic_get(sys.argv[2], auto_ack=True)",
                "print(body.decode(), props.headers['k'])",
                "c.close()", ""));
        String out = runPika(python, script, String.valueOf(broker.port()), qn);
        assertEquals("from-java v", out.strip());
        assertEquals(0, channel().queueDeclarePassive(qn).getMessageCount());
    }
}
