"""Questions to the Office ("Hỏi Văn phòng"): the staff's form and the officers' answers in a
chat (flow), and the answer callable outside a chat turn, by the console too (service); its
commands and the ids of its buttons (commands, choices).

Nothing is imported here, so importing one module does not load the other."""
