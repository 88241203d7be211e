"""Aid's writes, by sub-domain: programs and enrolment, cycles, cards, card payments."""
