package warren.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.server.config.ServerSettings;

/**
 * Applies the {@code log.*} keys to logback: reloads {@code logback.xml} with the console level
 * and adds the node's log file. RabbitMQ level names map to logback's (warning → WARN,
 * critical → ERROR, none → OFF). Called by {@link BrokerMain} only; embedded nodes leave logging alone.
 */
final class LogSetup {

    private LogSetup() {
    }

    static void configure(ServerSettings.LogSettings settings) {
        configure(settings, false);
    }

    /**
     * {@code detached}: the node runs under bin/warren-server -detached, whose stdout goes to a file of
     * its own ({@code <node>.stdout.log}); with a log file configured the console appender is then off,
     * so every line is written once (to the log file) and the stdout file keeps only what the JVM itself
     * prints (fatal start errors, crash reports). Without a log file the console stays the log.
     */
    static void configure(ServerSettings.LogSettings settings, boolean detached) {
        boolean toConsole = settings.console() && !(detached && settings.file() != null);
        String console = toConsole ? level(settings.consoleLevel()) : "OFF";
        String file = settings.file() == null ? "OFF" : level(settings.fileLevel());
        System.setProperty("warren.log.console.level", console);
        System.setProperty("warren.log.root.level", lowest(console, file));
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(context);
        URL xml = LogSetup.class.getResource("/logback.xml");
        try {
            if (xml != null) {
                joran.doConfigure(xml);
            }
        } catch (JoranException e) {
            System.err.println("logback.xml could not be applied: " + e);
        }
        if (settings.file() != null) {
            addFile(context, settings.file(), file);
        }
    }

    private static void addFile(LoggerContext context, Path path, String level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} [%level] [%thread] %logger{36} - %msg%n");
        encoder.start();
        ThresholdFilter threshold = new ThresholdFilter();
        threshold.setLevel(level);
        threshold.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("FILE");
        appender.setFile(path.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.addFilter(threshold);
        appender.start();
        if (!appender.isStarted()) {
            System.err.println("log file " + path + " could not be opened; set WARREN_LOG_BASE or log.file");
            return;
        }
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    }

    private static String level(String rabbitLevel) {
        switch (rabbitLevel.toLowerCase(Locale.ROOT)) {
            case "debug":
                return "DEBUG";
            case "warning":
                return "WARN";
            case "error":
            case "critical":
                return "ERROR";
            case "none":
                return "OFF";
            default:
                return "INFO";
        }
    }

    private static String lowest(String a, String b) {
        return Level.toLevel(a).toInt() <= Level.toLevel(b).toInt() ? a : b;
    }
}
