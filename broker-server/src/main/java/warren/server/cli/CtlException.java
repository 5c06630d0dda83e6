package warren.server.cli;

/** A warrenctl failure carrying the exit code and the complete text to print on stderr. */
final class CtlException extends Exception {

    private final int exitCode;

    CtlException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
