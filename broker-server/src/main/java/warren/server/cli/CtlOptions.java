package warren.server.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * warrenctl's parsed command line: global options ({@code -n}, {@code -q}, {@code --formatter},
 * {@code -t}) and {@code -p VHOST}, accepted anywhere as rabbitmqctl does, then the command and its
 * positional arguments.
 */
record CtlOptions(String node, boolean quiet, String formatter, Integer timeoutSeconds, String vhost,
                  String command, List<String> args) {

    static CtlOptions parse(String[] argv) throws CtlException {
        String node = null;
        boolean quiet = false;
        String formatter = "table";
        Integer timeout = null;
        String vhost = null;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "-n":
                case "--node":
                    node = value(argv, ++i, a);
                    break;
                case "-q":
                case "--quiet":
                case "-s":
                case "--silent":
                    quiet = true;
                    break;
                case "--formatter":
                    formatter = value(argv, ++i, a);
                    if (!formatter.equals("json") && !formatter.equals("table")) {
                        throw new CtlException(ExitCodes.USAGE,
                                "Error: unknown formatter '" + formatter + "'; use --formatter json or --formatter table");
                    }
                    break;
                case "-t":
                case "--timeout":
                    String t = value(argv, ++i, a);
                    try {
                        timeout = Integer.parseInt(t);
                    } catch (NumberFormatException e) {
                        timeout = -1;
                    }
                    if (timeout <= 0) {
                        throw invalidOption(a, t, argv);
                    }
                    break;
                case "-p":
                case "--vhost":
                    vhost = value(argv, ++i, a);
                    break;
                case "--":
                    for (i++; i < argv.length; i++) {
                        positional.add(argv[i]);
                    }
                    break;
                default:
                    if (a.startsWith("--") && positional.isEmpty()) {
                        throw invalidOption(a, "", argv);
                    }
                    positional.add(a);
            }
        }
        String command = positional.isEmpty() ? null : positional.remove(0);
        return new CtlOptions(node, quiet, formatter, timeout, vhost, command, List.copyOf(positional));
    }

    /** rabbitmqctl's text for an option it does not accept (or whose value it cannot use). */
    private static CtlException invalidOption(String option, String value, String[] argv) {
        return new CtlException(ExitCodes.USAGE, "Error (argument validation): Invalid options for this command:\n"
                + option + " : " + value + "\nArguments given:\n\t" + String.join(" ", argv));
    }

    private static String value(String[] argv, int i, String option) throws CtlException {
        if (i >= argv.length) {
            throw new CtlException(ExitCodes.USAGE, "Error: option " + option + " needs a value");
        }
        return argv[i];
    }

    boolean json() {
        return formatter.equals("json");
    }

    String vhostOrDefault() {
        return vhost == null ? "/" : vhost;
    }
}
