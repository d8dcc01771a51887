"""Good-example reports: the submission flow (flow), the officers' review (review), the
decisions callable outside a chat turn (service), the exports in the decree's layout
(exports), the texts (texts), its commands and the ids of its buttons (commands, choices).

Nothing is imported here: importing one module of the package (the texts, for the Q&A
replies) must not load the others and their storage."""
