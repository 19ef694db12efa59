-- At the door: the barcode message of each pass's current version (a scan
-- finds the pass by it), and every scan, redemption and adjustment.
-- Passes written before this migration have no message until their next
-- version; a scan finds them by serial number.

ALTER TABLE passes ADD COLUMN barcode_message TEXT;
CREATE INDEX passes_by_barcode ON passes (barcode_message);

-- kind: scan, redeem or adjust; outcome: ok, or why it was refused
-- (already_used, voided, expired, wrong_template, not_redeemable, …).
-- changes: the adjustment ({"points": 10}) as JSON text. actor: the key
-- (or token subject) that did it; gate: where, as the scanner named it.
-- at: when it happened (for an offline upload, the gate's time);
-- recorded_at: when passforge wrote it. client_id: the id a gate gave an
-- offline redemption, unique so that an upload sent twice counts once.
CREATE TABLE redemptions (
    id          TEXT PRIMARY KEY,
    pass_id     TEXT,
    kind        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    changes     TEXT,
    version     BIGINT,
    actor       TEXT NOT NULL,
    gate        TEXT,
    at          BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    client_id   TEXT UNIQUE
);

CREATE INDEX redemptions_by_pass ON redemptions (pass_id, kind, at);
