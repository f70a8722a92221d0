"""Career answers a counsellor can show a person: equivalent jobs, next steps, paths and
competence gaps, computed in Python over what any backend answers (``facts``)."""
