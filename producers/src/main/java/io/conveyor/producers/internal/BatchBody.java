package io.conveyor.producers.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskCodec.Submission;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the body of {@code POST /v1/tasks/batch}: a JSON array of submissions, or NDJSON (one
 * submission per line; blank lines are skipped). A body that cannot be split into items is
 * refused as a whole; an item that is not a valid submission becomes an item error, and the other
 * items still count. Stateless.
 */
final class BatchBody {
    private BatchBody() {}

    /** More items than the limit. */
    static final class TooManyItems extends Exception {
        private static final long serialVersionUID = 1L;

        TooManyItems(String count, int max) {
            super("a batch holds at most " + max + " tasks (api.batch.max), but this one has " + count);
        }
    }

    static List<Submission> read(byte[] body, boolean ndjson, TaskCodec codec, int max)
            throws MalformedTaskException, TooManyItems {
        List<Submission> items = ndjson ? lines(body, codec, max) : array(body, codec, max);
        if (items.isEmpty()) {
            throw new MalformedTaskException(null, "the batch is empty; send at least one task");
        }
        return items;
    }

    private static List<Submission> array(byte[] body, TaskCodec codec, int max)
            throws MalformedTaskException, TooManyItems {
        TaskCodec.SubmissionArray array = codec.readSubmissionArray(body, max)
                .orElseThrow(() -> new MalformedTaskException(
                        null,
                        "the body must be a JSON array of tasks (or one task per line with content-type"
                                + " application/x-ndjson)"));
        if (array.total() > max) {
            throw new TooManyItems(String.valueOf(array.total()), max);
        }
        return array.items();
    }

    private static List<Submission> lines(byte[] body, TaskCodec codec, int max) throws TooManyItems {
        List<Submission> items = new ArrayList<>();
        int start = 0;
        while (start < body.length) {
            int end = start;
            while (end < body.length && body[end] != '\n') {
                end++;
            }
            int last = end;
            while (last > start && isSpace(body[last - 1])) {
                last--;
            }
            int first = start;
            while (first < last && isSpace(body[first])) {
                first++;
            }
            if (first < last) {
                if (items.size() == max) {
                    throw new TooManyItems("more", max);
                }
                items.add(codec.readSubmissionItem(body, first, last - first));
            }
            start = end + 1;
        }
        return items;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }
}
