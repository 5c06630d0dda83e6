package warren.cluster.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.link.LinkHandshake.Challenge;
import warren.cluster.link.LinkHandshake.Hello;
import warren.cluster.link.LinkHandshake.MalformedException;
import warren.cluster.link.LinkHandshake.Message;
import warren.cluster.link.LinkHandshake.Refusal;
import warren.cluster.link.LinkHandshake.Refused;
import warren.cluster.link.LinkHandshake.Response;
import warren.cluster.link.LinkHandshake.Welcome;
import warren.core.link.LinkHandler;

/**
 * Runs the {@link LinkHandshake} on a new channel, as client (this node dialled) or server, within a
 * deadline. On success it puts a {@link NettyLinkConnection} in its own place in the pipeline and
 * lets the transport hand it to the broker; on any failure it closes the channel and the broker
 * never hears of it.
 */
final class LinkHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(LinkHandshakeHandler.class);

    /** Gives an authenticated connection to the broker; returns the handler of its frames. */
    interface Opener {
        LinkHandler open(NettyLinkConnection connection);
    }

    private enum State {
        AWAIT_HELLO, AWAIT_CHALLENGE, AWAIT_RESPONSE, AWAIT_WELCOME, OPEN, FAILED
    }

    private final LinkHandshake handshake;
    private final String self;
    /** The node the client expects to reach; null on the server side. */
    private final String expectedPeer;
    private final Duration timeout;
    private final Opener opener;

    private State state;
    private String peer;
    private byte[] ourNonce;
    private byte[] theirNonce;
    private ScheduledFuture<?> deadline;

    private LinkHandshakeHandler(LinkHandshake handshake, String self, String expectedPeer, Duration timeout,
            Opener opener, State initial) {
        this.handshake = handshake;
        this.self = self;
        this.expectedPeer = expectedPeer;
        this.peer = expectedPeer;
        this.timeout = timeout;
        this.opener = opener;
        this.state = initial;
    }

    static LinkHandshakeHandler client(LinkHandshake handshake, String self, String expectedPeer, Duration timeout,
            Opener opener) {
        return new LinkHandshakeHandler(handshake, self, expectedPeer, timeout, opener, State.AWAIT_CHALLENGE);
    }

    static LinkHandshakeHandler server(LinkHandshake handshake, String self, Duration timeout, Opener opener) {
        return new LinkHandshakeHandler(handshake, self, null, timeout, opener, State.AWAIT_HELLO);
    }

    private boolean isClient() {
        return expectedPeer != null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> fail(ctx, null, "no answer within " + timeout.toMillis() + " ms"),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (isClient()) {
            ourNonce = LinkHandshake.newNonce();
            send(ctx, new Hello(LinkHandshake.VERSION, self, ourNonce));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        if (state != State.FAILED && state != State.OPEN) {
            LOG.debug("Data link handshake {}: closed by the peer", describe(ctx));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (state != State.FAILED) {
                receive(ctx, LinkHandshake.decode(frame));
            }
        } catch (MalformedException e) {
            fail(ctx, Refusal.MALFORMED, e.getMessage());
        } finally {
            frame.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() instanceof TooLongFrameException ? cause.getCause() : cause;
        if (root instanceof IOException) {
            LOG.debug("Data link handshake {}: {}", describe(ctx), root.toString());
            state = State.FAILED;
            ctx.close();
        } else {
            fail(ctx, null, root.toString());
        }
    }

    private void receive(ChannelHandlerContext ctx, Message message) {
        if (message instanceof Refused refused) {
            // The other side checked and refused; log it here too so both logs say why.
            state = State.FAILED;
            LOG.warn("Data link {} refused by the peer: {}", describe(ctx), refused.reason().text);
            ctx.close();
        } else if (state == State.AWAIT_HELLO && message instanceof Hello hello) {
            onHello(ctx, hello);
        } else if (state == State.AWAIT_CHALLENGE && message instanceof Challenge challenge) {
            onChallenge(ctx, challenge);
        } else if (state == State.AWAIT_RESPONSE && message instanceof Response response) {
            onResponse(ctx, response);
        } else if (state == State.AWAIT_WELCOME && message instanceof Welcome) {
            open(ctx);
        } else {
            fail(ctx, Refusal.MALFORMED, "unexpected " + message.getClass().getSimpleName() + " in state " + state);
        }
    }

    private void onHello(ChannelHandlerContext ctx, Hello hello) {
        peer = hello.node();
        if (hello.version() != LinkHandshake.VERSION) {
            fail(ctx, Refusal.UNSUPPORTED_VERSION, "version " + hello.version() + " (this node speaks "
                    + LinkHandshake.VERSION + ")");
            return;
        }
        theirNonce = hello.nonce();
        ourNonce = LinkHandshake.newNonce();
        state = State.AWAIT_RESPONSE;
        send(ctx, new Challenge(self, ourNonce, handshake.serverProof(theirNonce, self)));
    }

    private void onChallenge(ChannelHandlerContext ctx, Challenge challenge) {
        peer = challenge.node();
        if (!LinkHandshake.matches(handshake.serverProof(ourNonce, challenge.node()), challenge.proof())) {
            fail(ctx, Refusal.COOKIE_MISMATCH, Refusal.COOKIE_MISMATCH.text);
            return;
        }
        if (!challenge.node().equals(expectedPeer)) {
            fail(ctx, Refusal.UNEXPECTED_NODE, "expected node " + expectedPeer + " at that address");
            return;
        }
        state = State.AWAIT_WELCOME;
        send(ctx, new Response(handshake.clientProof(challenge.nonce(), self)));
    }

    private void onResponse(ChannelHandlerContext ctx, Response response) {
        if (!LinkHandshake.matches(handshake.clientProof(ourNonce, peer), response.proof())) {
            fail(ctx, Refusal.COOKIE_MISMATCH, Refusal.COOKIE_MISMATCH.text);
            return;
        }
        // WELCOME goes out before the broker hears of the connection, so nothing the broker sends
        // from accepted() can overtake it.
        send(ctx, new Welcome());
        open(ctx);
    }

    private void open(ChannelHandlerContext ctx) {
        state = State.OPEN;
        cancelDeadline();
        NettyLinkConnection connection = new NettyLinkConnection(ctx.channel(), peer, isClient());
        ctx.pipeline().get(LinkFrameDecoder.class).authenticated();
        ctx.pipeline().replace(this, "link", connection);
        LinkHandler handler;
        try {
            handler = opener.open(connection);
        } catch (RuntimeException e) {
            LOG.error("Data link {}: the broker refused the connection; closing it", describe(ctx), e);
            ctx.channel().close();
            return;
        }
        if (handler == null) {
            LOG.error("Data link {}: the broker returned no handler; closing the connection", describe(ctx));
            ctx.channel().close();
            return;
        }
        connection.bind(handler);
    }

    /**
     * Closes the channel, telling the peer why first when there is a reason it can act on.
     *
     * @param refusal sent to the peer before closing, or null to close without a word
     */
    private void fail(ChannelHandlerContext ctx, Refusal refusal, String why) {
        if (state == State.FAILED || state == State.OPEN) {
            return;
        }
        state = State.FAILED;
        cancelDeadline();
        LOG.warn("Data link {} refused: {}", describe(ctx), why);
        if (refusal != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(LinkHandshake.encode(ctx.alloc(), new Refused(refusal)))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void send(ChannelHandlerContext ctx, Message message) {
        ctx.writeAndFlush(LinkHandshake.encode(ctx.alloc(), message))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private String describe(ChannelHandlerContext ctx) {
        String node = peer == null ? "unknown node" : "node " + peer;
        return (isClient() ? "to " : "from ") + node + " (" + ctx.channel().remoteAddress() + ")";
    }
}
