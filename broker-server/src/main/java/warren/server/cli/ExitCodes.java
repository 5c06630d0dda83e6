package warren.server.cli;

/** rabbitmqctl's exit codes (sysexits.h), which scripts around it already test for. */
public final class ExitCodes {

    public static final int OK = 0;
    /** EX_USAGE: unknown command, wrong arguments, unknown column. */
    public static final int USAGE = 64;
    /** EX_DATAERR: authenticate_user with wrong credentials. */
    public static final int DATA_ERROR = 65;
    /** EX_UNAVAILABLE: node not running, unreachable, or the cookie was refused. */
    public static final int UNAVAILABLE = 69;
    /** EX_SOFTWARE: the node refused or failed the operation (user already exists, no such vhost...). */
    public static final int SOFTWARE = 70;

    private ExitCodes() {
    }
}
