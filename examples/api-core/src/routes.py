# Route table of the Core API Layer (served by FastAPI in production).
from fastapi import APIRouter

router = APIRouter()


@router.get("/humans/{human_id}")
def get_human(human_id: int):
    ...


@router.post("/humans")
def create_human(body: dict):
    ...


@router.get("/phone-numbers/{number}")
def get_phone_number(number: str):
    ...
