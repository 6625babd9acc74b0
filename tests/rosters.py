"""Rosters several test files start from (never changed in place: deep-copy before editing)."""

# Two units under the Gia Lai preset, one a division of a district, and two people.
SMALL_ROSTER = {
    "policy": "gialai",
    "units": [
        {"id": "stttt", "name": "Sở Thông tin và Truyền thông", "type": "department"},
        {"id": "iagrai", "name": "Huyện Ia Grai", "type": "district"},
        {"id": "tuphap", "name": "Phòng Tư pháp", "type": "division", "parent": "iagrai"},
    ],
    "people": [
        {"id": "GL-0001", "name": "Hoàng Thị Như Quỳnh", "unit": "stttt"},
        {"id": "GL-0002", "name": "Trần Đình Nguyên", "unit": "tuphap"},
    ],
}
