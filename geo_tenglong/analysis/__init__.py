"""Analysis stages: each ``assess_*(workspace, results)`` returns a :class:`~geo_tenglong.stage.StageResult`."""
