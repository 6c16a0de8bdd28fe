"""A cohort's tests in the chat: the instructor's /assess, and a learner's Start and Skip."""

from __future__ import annotations

from bot.domain.assessment import AssessAction, parse_assess_args
from bot.domain.roles import Role
from bot.services.assessment import flow, setup
from bot.telegram import callback_data as cd
from bot.telegram import render
from bot.telegram import render_assessment as ra
from bot.telegram.handlers.turn import Turn, command, press


@command(usage=ra.ASSESS_USAGE, staff_only="assess")
async def assess(turn: Turn) -> None:
    """Show a cohort's tests, or turn them on or off: /assess CODE [on [DAYS] [SET] | off]."""
    asked = parse_assess_args(turn.args)
    admin = turn.role >= Role.ADMIN
    if asked.action is AssessAction.SHOW:
        state = await turn.call(setup.state, user_id=turn.user_id, admin=admin, code=asked.code)
    else:
        state = await turn.call(
            setup.configure,
            user_id=turn.user_id,
            admin=admin,
            code=asked.code,
            enabled=asked.action is AssessAction.ON,
            delay_days=asked.delay_days,
            set_id=asked.set_id,
            now=turn.now(),
        )
    await turn.reply(ra.assess_text(state, changed=asked.action is not AssessAction.SHOW))


@press(cd.parse_stage)
async def stage_press(turn: Turn, pressed: cd.StagePress) -> None:
    """Start (or continue) a test, or skip it."""
    if pressed.skip:
        step = await turn.call(
            flow.skip_stage,
            user_id=turn.user_id,
            stage_id=pressed.stage_id,
            now=turn.now(),
            delay_scale=turn.settings.followup_delay_scale,
        )
        await turn.popup("Skipped")
        await turn.edit(ra.step_text(step))
        return
    started = await turn.call(
        flow.start_stage, user_id=turn.user_id, stage_id=pressed.stage_id, now=turn.now()
    )
    await turn.popup()
    await turn.drop_keyboard()
    await turn.reply(ra.stage_intro_text(started))
    await turn.reply(render.item_text(started.item), render.item_keyboard(started.item))
