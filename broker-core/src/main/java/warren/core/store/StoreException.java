package warren.core.store;

/** A storage failure. A failed sync is fatal for durability: callers stop accepting persistent work. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
