package io.conveyor.producers.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;

/**
 * Answers, in the API's JSON form, the two kinds of broken HTTP/1 that Vert.x answers badly:
 *
 * <ul>
 *   <li>a request of an HTTP version other than 1.0 and 1.1 ({@code GET / HTTP/9.9}), which Vert.x
 *       answers itself with an empty {@code 501}, a server error for the client's mistake: it is
 *       marked as undecodable, so the server's invalid-request handler answers {@code 400} ({@link
 *       RequestLimits});
 *   <li>a body whose framing breaks after the head was read (a chunk size that is not hex), on which
 *       Vert.x closes the connection without a word: if no answer has begun, it gets {@code 400
 *       bad_request} naming the fault, and then the connection closes (HTTP/1.1 says a server should
 *       answer a framing error so). The body read so far is never handed on, so a task cut short
 *       cannot be accepted.
 * </ul>
 *
 * <p>It sits in the connection's Netty pipeline right after Vert.x's HTTP decoder, which Vert.x's
 * public API does not reach: {@link #install} uses its {@code ConnectionBase}. If a Vert.x version
 * changes that, nothing is installed and Vert.x's own answers return, which {@code
 * HostileRequestsIT} catches. One instance per connection, used only on its event loop.
 */
final class DecodeFailures extends ChannelDuplexHandler {
    private static final String NAME = "conveyor-decode-failures";
    private static final String DECODER = "httpDecoder";

    private final Runnable closing;
    /** Whether anything was written since the request now being read arrived: its answer has begun. */
    private boolean answering;

    private DecodeFailures(Runnable closing) {
        this.closing = closing;
    }

    /** Puts the handler behind the connection's HTTP/1 decoder, if it has one; {@code closing} counts a close. */
    static void install(HttpConnection connection, Runnable closing) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get(DECODER) != null && pipeline.get(NAME) == null) {
                pipeline.addAfter(DECODER, NAME, new DecodeFailures(closing));
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            answering = false;
            if (request.decoderResult().isSuccess()
                    && !request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                    && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                request.setDecoderResult(DecoderResult.failure(
                        new UnknownVersion(request.protocolVersion().text())));
            }
        } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            Throwable cause = content.decoderResult().cause();
            ReferenceCountUtil.release(msg);
            closing.run();
            if (answering) {
                ctx.close();
            } else {
                answering = true;
                ctx.writeAndFlush(Unpooled.wrappedBuffer(badRequest(cause))).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        answering = true;
        ctx.write(msg, promise);
    }

    /** A whole HTTP/1.1 {@code 400} in the API's error form, that closes the connection. */
    private static byte[] badRequest(Throwable cause) {
        String message = "the request body is not HTTP the server can read"
                + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        byte[] body = HttpErrors.json("bad_request", message, null).getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: " + body.length
                + "\r\nconnection: close\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head8.length + body.length];
        System.arraycopy(head8, 0, all, 0, head8.length);
        System.arraycopy(body, 0, all, head8.length, body.length);
        return all;
    }

    /** The version a request named, which the server does not speak. */
    static final class UnknownVersion extends Exception {
        private static final long serialVersionUID = 1L;

        UnknownVersion(String version) {
            super(version, null, false, false);
        }
    }
}
