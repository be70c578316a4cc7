"""Content in an S3-compatible object store (AWS S3, MinIO, Ceph, ...), one object per hash.

boto3 is synchronous: every call runs in a worker thread. Uploads go in 8 MiB parts (multipart
upload), downloads are read in 1 MiB pieces, so memory stays flat whatever the size.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from services.knowledge.storage import CHUNK

PART = 8 * 1024 * 1024  # S3 wants parts of at least 5 MiB, but the last


class S3Store:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "content/",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, sha256: str) -> str:
        return f"{self._prefix}{sha256[:2]}/{sha256}"

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self._client, method), **kwargs)

    async def start(self) -> None:
        """Create the bucket when it is missing (a bucket made by the operator is left as it is)."""
        try:
            await self._call("head_bucket", Bucket=self._bucket)
        except ClientError:
            await self._call("create_bucket", Bucket=self._bucket)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)

    async def has(self, sha256: str) -> bool:
        try:
            await self._call("head_object", Bucket=self._bucket, Key=self._key(sha256))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    async def put(self, sha256: str, size: int, chunks: AsyncIterator[bytes]) -> None:
        if await self.has(sha256):
            return
        key = self._key(sha256)
        if size <= PART:
            body = b"".join([chunk async for chunk in chunks])
            await self._call("put_object", Bucket=self._bucket, Key=key, Body=body)
            return
        upload = await self._call("create_multipart_upload", Bucket=self._bucket, Key=key)
        try:
            parts = await self._upload_parts(key, upload["UploadId"], chunks)
        except BaseException:
            await self._call(
                "abort_multipart_upload", Bucket=self._bucket, Key=key, UploadId=upload["UploadId"]
            )
            raise
        await self._call(
            "complete_multipart_upload",
            Bucket=self._bucket,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": parts},
        )

    async def _upload_parts(
        self, key: str, upload_id: str, chunks: AsyncIterator[bytes]
    ) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        buffer = bytearray()

        async def send(data: bytes) -> None:
            number = len(parts) + 1
            answer = await self._call(
                "upload_part",
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        async for chunk in chunks:
            buffer += chunk
            if len(buffer) >= PART:
                await send(bytes(buffer[:PART]))
                del buffer[:PART]
        if buffer or not parts:
            await send(bytes(buffer))
        return parts

    async def read(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        try:
            answer = await self._call(
                "get_object",
                Bucket=self._bucket,
                Key=self._key(sha256),
                Range=f"bytes={start}-{end}",
            )
        except ClientError as error:
            raise FileNotFoundError(sha256) from error
        body = answer["Body"]
        try:
            while piece := await asyncio.to_thread(body.read, CHUNK):
                yield piece
        finally:
            body.close()
