"""Transitional, to delete at the merge: the support domain now lives in ``dashboard/support/``.

``attachment_file`` (and its ``AttachmentFile``) moved to ``dashboard.support.queries``; this name stays
only for the private-file route that another branch is moving (``dashboard/private_files_support.py`` ->
``dashboard/support/files.py``). Once that imports ``from dashboard.support.queries import
attachment_file``, delete this module.
"""

from dashboard.support.queries import AttachmentFile, attachment_file

__all__ = ["AttachmentFile", "attachment_file"]
