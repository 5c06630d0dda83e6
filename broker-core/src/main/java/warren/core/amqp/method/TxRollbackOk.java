package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code tx.rollback-ok} (90/31), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record TxRollbackOk() implements Method {
    public static final int CLASS_ID = 90;
    public static final int METHOD_ID = 31;

    @Override
    public int classId() {
        return CLASS_ID;
    }

    @Override
    public int methodId() {
        return METHOD_ID;
    }

    @Override
    public String name() {
        return "tx.rollback-ok";
    }
}
