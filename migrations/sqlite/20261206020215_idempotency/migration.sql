CREATE TABLE `idempotency_keys` (
	`writer` text NOT NULL,
	`client_mutation_id` text NOT NULL,
	`mutation` text NOT NULL,
	`input_hash` text NOT NULL,
	`result` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `idempotency_keys_pk` PRIMARY KEY(`writer`, `client_mutation_id`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);