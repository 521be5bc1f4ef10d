"""The in-memory application, document and status repositories keep the storage contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.db.test_documents_repositories import DocumentStorageContract

if TYPE_CHECKING:
    from tests.fakes import InMemoryUnitOfWork
    from tests.integration.db.test_documents_repositories import UowFactory

pytestmark = pytest.mark.unit


class TestInMemoryDocumentStorage(DocumentStorageContract):
    """The contract the SQL repositories pass, run on the fakes."""

    @pytest.fixture
    def new_uow(self, memory_uow: InMemoryUnitOfWork) -> UowFactory:
        return memory_uow.fresh
