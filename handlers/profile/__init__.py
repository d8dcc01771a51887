"""The staff profile: showing and editing it (flow), deleting it with everything it sent
(erasure), and the count of wrong invite codes (invite_tries); its commands and the ids of its
buttons (commands, choices).

Nothing is imported here, so importing one module does not load the others."""
