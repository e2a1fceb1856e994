package io.conveyor.consumers.internal;

/**
 * What became of a record once everything it caused is written: handled by Conveyor (succeeded,
 * cancelled, or re-queued for a retry or a delay), or dead-lettered. A share-group worker turns
 * these into ACCEPT and REJECT acknowledgements.
 */
enum Disposition {
    DONE,
    DEAD_LETTERED
}
