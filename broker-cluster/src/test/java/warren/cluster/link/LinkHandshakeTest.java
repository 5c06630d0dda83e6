package warren.cluster.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import warren.cluster.link.LinkHandshake.Challenge;
import warren.cluster.link.LinkHandshake.Hello;
import warren.cluster.link.LinkHandshake.MalformedException;
import warren.cluster.link.LinkHandshake.Message;
import warren.cluster.link.LinkHandshake.Refusal;
import warren.cluster.link.LinkHandshake.Refused;
import warren.cluster.link.LinkHandshake.Response;
import warren.cluster.link.LinkHandshake.Welcome;
import warren.cluster.security.ClusterCookie;

class LinkHandshakeTest {

    private final LinkHandshake shared = new LinkHandshake(ClusterCookie.of("SHAREDCOOKIE").linkKey());
    private final LinkHandshake other = new LinkHandshake(ClusterCookie.of("OTHERCOOKIE").linkKey());

    @Test
    void everyMessageSurvivesTheWire() throws Exception {
        byte[] nonce = LinkHandshake.newNonce();
        byte[] proof = shared.serverProof(nonce, "a@host");

        Hello hello = (Hello) roundTrip(new Hello(LinkHandshake.VERSION, "b@host", nonce));
        assertEquals(LinkHandshake.VERSION, hello.version());
        assertEquals("b@host", hello.node());
        assertArrayEquals(nonce, hello.nonce());
        Challenge challenge = (Challenge) roundTrip(new Challenge("a@høst", nonce, proof));
        assertEquals("a@høst", challenge.node());
        assertArrayEquals(proof, challenge.proof());
        assertArrayEquals(proof, ((Response) roundTrip(new Response(proof))).proof());
        assertInstanceOf(Welcome.class, roundTrip(new Welcome()));
        for (Refusal reason : Refusal.values()) {
            assertEquals(reason, ((Refused) roundTrip(new Refused(reason))).reason());
        }
    }

    @Test
    void proofsAgreeOnlyWithTheSameCookieAndDifferByRoleNonceAndName() {
        byte[] nonce = LinkHandshake.newNonce();
        byte[] proof = shared.serverProof(nonce, "a");

        assertTrue(LinkHandshake.matches(new LinkHandshake(ClusterCookie.of("SHAREDCOOKIE").linkKey())
                .serverProof(nonce, "a"), proof));
        assertFalse(LinkHandshake.matches(other.serverProof(nonce, "a"), proof));
        assertFalse(LinkHandshake.matches(shared.clientProof(nonce, "a"), proof), "a client proof is no server proof");
        assertFalse(LinkHandshake.matches(shared.serverProof(LinkHandshake.newNonce(), "a"), proof));
        assertFalse(LinkHandshake.matches(shared.serverProof(nonce, "b"), proof));
        assertEquals(LinkHandshake.PROOF_BYTES, proof.length);
    }

    @Test
    void helloWithoutTheMagicIsNotALinkPeer() {
        ByteBuf frame = Unpooled.buffer().writeByte(1).writeBytes("AMQP\0\0\u0009".getBytes());

        MalformedException e = assertThrows(MalformedException.class, () -> decode(frame));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void truncatedTrailingOrUnknownMessagesAreMalformed() {
        ByteBuf challenge = encode(new Challenge("a", LinkHandshake.newNonce(), new byte[LinkHandshake.PROOF_BYTES]));

        assertThrows(MalformedException.class, () -> decode(challenge.writerIndex(challenge.writerIndex() - 1)));
        assertThrows(MalformedException.class, () -> decode(encode(new Welcome()).writeByte(0)));
        assertThrows(MalformedException.class, () -> decode(Unpooled.buffer().writeByte(99)));
        assertThrows(MalformedException.class, () -> decode(Unpooled.buffer()));
        assertThrows(MalformedException.class, () -> decode(Unpooled.buffer().writeByte(5).writeByte(0)));
    }

    @Test
    void emptyOrOverlongNodeNamesAreMalformed() {
        ByteBuf empty = Unpooled.buffer().writeByte(2).writeShort(0);
        ByteBuf overlong = Unpooled.buffer().writeByte(2).writeShort(LinkHandshake.MAX_NAME_BYTES + 1)
                .writeZero(LinkHandshake.MAX_NAME_BYTES + 1 + 64);

        assertThrows(MalformedException.class, () -> decode(empty));
        MalformedException e = assertThrows(MalformedException.class, () -> decode(overlong));
        assertTrue(e.getMessage().contains("node name"), e.getMessage());
    }

    @Test
    void theLargestHelloFitsTheHandshakeFrameLimit() {
        ByteBuf hello = encode(new Hello(LinkHandshake.VERSION, "n".repeat(LinkHandshake.MAX_NAME_BYTES),
                LinkHandshake.newNonce()));
        ByteBuf challenge = encode(new Challenge("n".repeat(LinkHandshake.MAX_NAME_BYTES), LinkHandshake.newNonce(),
                new byte[LinkHandshake.PROOF_BYTES]));

        assertTrue(hello.readableBytes() <= LinkHandshake.MAX_MESSAGE_BYTES);
        assertTrue(challenge.readableBytes() <= LinkHandshake.MAX_MESSAGE_BYTES);
        hello.release();
        challenge.release();
    }

    private static Message roundTrip(Message message) throws MalformedException {
        return decode(encode(message));
    }

    /** Decodes and releases the frame. */
    private static Message decode(ByteBuf frame) throws MalformedException {
        try {
            return LinkHandshake.decode(frame);
        } finally {
            frame.release();
        }
    }

    private static ByteBuf encode(Message message) {
        return LinkHandshake.encode(UnpooledByteBufAllocator.DEFAULT, message);
    }
}
