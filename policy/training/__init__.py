"""Training on the brand's policy: quizzes (written, or generated from the live policy by
``generator``), attempts, certifications and their reminders, with their own services,
selectors, views, API, forms, task and URLs."""
