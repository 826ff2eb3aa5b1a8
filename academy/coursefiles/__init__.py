"""The ``courses/`` file format: a course as a folder of Markdown files, and its round trip
through the database.

This package owns reading a course folder (``parser``, with ``frontmatter`` and ``quizformat``),
writing one back (``writer``), the plain data in between (``coursedata``) and its located errors
(``errors``), merging that data into the database and reading it out (``sync``,
``sync_questions``, ``prerequisites``, reported as a ``changes.ChangeReport``), the images a folder
carries (``media``), ZIPs unpacked safely (``archive``), and the whole import and export
(``importer``, ``exporter``) behind ``flask courses import|export`` (``cli``).

It needs no browser and knows nothing of the editor: ``academy.authoring`` builds on it (ZIP
upload, draft copies, the quiz text editor), never the other way round.
"""
