-- Derived data kept by the database itself, so every write path (GraphQL, import, a SQL shell) agrees.

-- relationship_ends: each relationship once from each end, for traversal in either direction.
CREATE TRIGGER `relationships_ends_insert` AFTER INSERT ON `relationships` BEGIN
  INSERT INTO `relationship_ends` (`entity_id`, `relationship_id`, `direction`, `other_id`)
  VALUES (NEW.`subject_id`, NEW.`id`, 'OUTGOING', NEW.`object_id`),
         (NEW.`object_id`, NEW.`id`, 'INCOMING', NEW.`subject_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_ends_update` AFTER UPDATE OF `subject_id`, `object_id` ON `relationships` BEGIN
  UPDATE `relationship_ends` SET `entity_id` = NEW.`subject_id`, `other_id` = NEW.`object_id`
  WHERE `relationship_id` = NEW.`id` AND `direction` = 'OUTGOING';
  UPDATE `relationship_ends` SET `entity_id` = NEW.`object_id`, `other_id` = NEW.`subject_id`
  WHERE `relationship_id` = NEW.`id` AND `direction` = 'INCOMING';
END;
--> statement-breakpoint
-- claims.support: SUPPORTED when a citation SUPPORTS and none REFUTES, CONTESTED when both,
-- REFUTED when only REFUTES, UNSUPPORTED otherwise (MENTIONS and QUALIFIES are not support).
CREATE VIEW `claim_support_derived` AS
SELECT `id` AS `claim_id`,
  CASE
    WHEN `supports` AND `refutes` THEN 'CONTESTED'
    WHEN `supports` THEN 'SUPPORTED'
    WHEN `refutes` THEN 'REFUTED'
    ELSE 'UNSUPPORTED'
  END AS `support`
FROM (
  SELECT `claims`.`id`,
    EXISTS (SELECT 1 FROM `citations` c WHERE c.`claim_id` = `claims`.`id` AND c.`stance` = 'SUPPORTS') AS `supports`,
    EXISTS (SELECT 1 FROM `citations` c WHERE c.`claim_id` = `claims`.`id` AND c.`stance` = 'REFUTES') AS `refutes`
  FROM `claims`
);
--> statement-breakpoint
CREATE TRIGGER `citations_support_insert` AFTER INSERT ON `citations` BEGIN
  UPDATE `claims` SET `support` = (SELECT `support` FROM `claim_support_derived` WHERE `claim_id` = NEW.`claim_id`)
  WHERE `id` = NEW.`claim_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_support_delete` AFTER DELETE ON `citations` BEGIN
  UPDATE `claims` SET `support` = (SELECT `support` FROM `claim_support_derived` WHERE `claim_id` = OLD.`claim_id`)
  WHERE `id` = OLD.`claim_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_support_update` AFTER UPDATE OF `claim_id`, `stance` ON `citations` BEGIN
  UPDATE `claims` SET `support` = (SELECT `support` FROM `claim_support_derived` WHERE `claim_id` = `claims`.`id`)
  WHERE `id` IN (OLD.`claim_id`, NEW.`claim_id`);
END;
