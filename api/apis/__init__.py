"""The API's endpoints, one module per area, one APIView per operation (STYLE.md rule 9)."""
